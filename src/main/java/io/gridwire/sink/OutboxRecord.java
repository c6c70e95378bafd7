package io.gridwire.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;

/**
 * A Kafka record a family's sink stage sends: its topic, key, stable message id (header {@value KafkaRecords#MESSAGE_ID}, so a
 * consumer can drop a redelivered copy) and value, and, when it comes from an outbox table (a row that says it is
 * still to be sent), that table and row id, marked sent once Kafka acknowledged the record.
 *
 * @param table an outbox table written by gridwire's own code (e.g. {@code autocore.alerts}), or null
 * @param id    the row's id in that table, or null
 */
public record OutboxRecord(String topic, String key, String messageId, String value, String table, Long id) {

    /** Exchange property of a publish stage: the batch's records, for the breaker's fallback and {@link #markSent}. */
    public static final String RECORDS = "gridwireKafkaRecords";

    /**
     * The records as camel-kafka's batch body ({@code batchWithIndividualHeaders=true}): one message each, with its
     * topic (kafka.OVERRIDE_TOPIC), key and message id.
     */
    public static List<Message> messages(CamelContext context, List<OutboxRecord> records) {
        List<Message> out = new ArrayList<>(records.size());
        for (OutboxRecord r : records) {
            Message m = new DefaultMessage(context);
            m.setHeader(KafkaConstants.OVERRIDE_TOPIC, r.topic());
            m.setHeader(KafkaConstants.KEY, r.key());
            m.setHeader(KafkaRecords.MESSAGE_ID, r.messageId());
            m.setBody(r.value());
            out.add(m);
        }
        return out;
    }

    /**
     * The batch's records as camel-kafka's batch body ({@link #messages}), kept in exchange property {@value #RECORDS}
     * for the stage's later steps.
     */
    public static List<Message> toKafka(Exchange exchange, List<OutboxRecord> records) {
        exchange.setProperty(RECORDS, records);
        return messages(exchange.getContext(), records);
    }

    /**
     * Marks the outbox rows of the records in exchange property {@value #RECORDS} sent, once Kafka acknowledged them.
     *
     * @throws SQLException PostgreSQL unavailable (the rows stay unsent and go out again with a later batch)
     */
    @SuppressWarnings("unchecked")
    public static void markSent(DataSource dataSource, Exchange exchange) throws SQLException {
        List<OutboxRecord> records = exchange.getProperty(RECORDS, List.class);
        markSent(dataSource, records == null ? List.of() : records);
    }

    /**
     * Marks the outbox rows of these records sent ({@code sent_at = now()}), one statement per table.
     *
     * @throws SQLException PostgreSQL unavailable (the stage is retried; a row sent twice is a duplicate the message
     *                      id lets consumers drop)
     */
    public static void markSent(DataSource dataSource, List<OutboxRecord> records) throws SQLException {
        Map<String, List<Long>> byTable = new LinkedHashMap<>();
        for (OutboxRecord r : records) {
            if (r.table() != null && r.id() != null) {
                byTable.computeIfAbsent(r.table(), t -> new ArrayList<>()).add(r.id());
            }
        }
        if (byTable.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            for (var e : byTable.entrySet()) {
                // the table name comes from gridwire's code, never from a message
                try (PreparedStatement st = c.prepareStatement("UPDATE " + e.getKey() + " SET sent_at = now() WHERE id = ANY (?)")) {
                    st.setArray(1, c.createArrayOf("bigint", e.getValue().toArray()));
                    st.executeUpdate();
                }
            }
        }
    }
}
