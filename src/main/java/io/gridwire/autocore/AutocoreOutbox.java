package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gridwire.sink.OutboxRecord;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AutoCore family's Kafka outbox (seed 002's anomaly alerts and critical relay notifications, keyed by device as
 * seed 003 partitions device topics): the PostgreSQL stage gives each message the alerts and notifications not yet on
 * Kafka; the Kafka stage (bean {@code autocoreOutbox}) sends them as one batch and marks what Kafka acknowledged sent.
 * Each record's message id is made of its device, timestamp and subject, so a resent record is recognisable.
 */
public class AutocoreOutbox {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreOutbox.class);
    private static final ObjectMapper JSON = new ObjectMapper();


    private final DataSource dataSource;
    private final String notificationsTopic;
    private final String alertsTopic;

    /**
     * @param notificationsTopic kafka.topics.deviceNotifications (critical relay switched)
     * @param alertsTopic        kafka.topics.deviceAlerts (telemetry anomaly)
     */
    public AutocoreOutbox(DataSource dataSource, String notificationsTopic, String alertsTopic) {
        this.dataSource = dataSource;
        this.notificationsTopic = notificationsTopic;
        this.alertsTopic = alertsTopic;
    }

    /** Inside the PostgreSQL stage's transaction: the batch's unsent alerts and notifications, onto their messages. */
    void collect(Connection c, List<AutocoreMessage> batch) throws SQLException {
        pendingAlerts(c, batch);
        pendingNotifications(c, batch);
    }

    /**
     * The alerts (kafka.topics.deviceAlerts) and critical relay notifications (kafka.topics.deviceNotifications) the
     * batch still owes, as camel-kafka's batch body; also in exchange property {@value OutboxRecord#RECORDS} for {@link #markSent}.
     *
     * @param batch the batch the PostgreSQL stage committed
     * @return one Camel message per record, with its topic, key and message id headers; empty if none is owed
     */
    public List<Message> records(List<AutocoreMessage> batch, Exchange exchange) {
        List<OutboxRecord> records = new ArrayList<>();
        for (AutocoreMessage m : batch) {
            records.addAll(m.records);
        }
        return OutboxRecord.toKafka(exchange, records);
    }

    /**
     * Marks the records Kafka acknowledged sent in their outbox tables (autocore.alerts, autocore.notifications).
     *
     * @throws SQLException PostgreSQL unavailable (the records stay unsent and go out again with a later batch)
     */
    public void markSent(Exchange exchange) throws SQLException {
        OutboxRecord.markSent(dataSource, exchange);
    }

    /** The batch's telemetry messages with alerts not yet on Kafka get them as records (one query). */
    private void pendingAlerts(Connection c, List<AutocoreMessage> batch) throws SQLException {
        Map<String, AutocoreMessage> byKey = new HashMap<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.TELEMETRY) {
                byKey.put(m.deviceId + "@" + m.timestamp, m);
            }
        }
        if (byKey.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT a.id, a.device_id, a.ts, a.field, a.value, a.average, a.stddev, a.z_score FROM autocore.alerts a "
                + "JOIN unnest(?::text[], ?::timestamptz[]) AS k(device_id, ts) ON a.device_id = k.device_id AND a.ts = k.ts "
                + "WHERE a.sent_at IS NULL ORDER BY a.id")) {
            keys(c, st, byKey.values());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    AutocoreMessage m = byKey.get(rs.getString(2) + "@" + rs.getTimestamp(3).toInstant());
                    if (m == null) {
                        continue;
                    }
                    ObjectNode n = JSON.createObjectNode();
                    n.put("type", "anomaly");
                    n.put("device_id", m.deviceId);
                    n.put("field", rs.getString(4));
                    n.put("value", rs.getDouble(5));
                    n.put("average", rs.getDouble(6));
                    n.put("stddev", rs.getDouble(7));
                    n.put("z_score", rs.getDouble(8));
                    n.put("timestamp", m.timestamp.toString());
                    m.records.add(new OutboxRecord(alertsTopic, m.deviceId,
                            m.deviceId + "@" + m.timestamp + "#" + rs.getString(4), n.toString(), "autocore.alerts", rs.getLong(1)));
                }
            }
        }
    }

    /** The batch's relay messages with notifications not yet on Kafka get them as records (one query). */
    private void pendingNotifications(Connection c, List<AutocoreMessage> batch) throws SQLException {
        Map<String, AutocoreMessage> byKey = new HashMap<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.RELAY) {
                // keyed by state too: a pulse (on, off) at one timestamp is two notifications, one per message
                byKey.put(m.deviceId + "@" + m.timestamp + "#" + m.relayIndex + "=" + m.relayState, m);
            }
        }
        if (byKey.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT n.id, n.device_id, n.ts, n.relay_index, n.state, n.message FROM autocore.notifications n "
                + "JOIN unnest(?::text[], ?::timestamptz[]) AS k(device_id, ts) ON n.device_id = k.device_id AND n.ts = k.ts "
                + "WHERE n.sent_at IS NULL ORDER BY n.id")) {
            keys(c, st, byKey.values());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    AutocoreMessage m = byKey.get(rs.getString(2) + "@" + rs.getTimestamp(3).toInstant() + "#" + rs.getInt(4)
                                                  + "=" + rs.getBoolean(5));
                    if (m == null) {
                        continue;
                    }
                    ObjectNode o = JSON.createObjectNode();
                    o.put("type", "critical_relay");
                    o.put("device_id", m.deviceId);
                    o.put("relay_index", m.relayIndex);
                    o.put("state", rs.getBoolean(5));
                    o.put("triggered_by", m.triggeredBy);
                    o.put("message", rs.getString(6));
                    o.put("timestamp", m.timestamp.toString());
                    m.records.add(new OutboxRecord(notificationsTopic, m.deviceId,
                            m.deviceId + "@" + m.timestamp + "#relay" + m.relayIndex + (rs.getBoolean(5) ? "-on" : "-off"), o.toString(),
                            "autocore.notifications",
                            rs.getLong(1)));
                    LOG.info("Notification: {}", rs.getString(6));
                }
            }
        }
    }

    private static void keys(Connection c, PreparedStatement st, Collection<AutocoreMessage> messages) throws SQLException {
        String[] ids = new String[messages.size()];
        Timestamp[] times = new Timestamp[messages.size()];
        int i = 0;
        for (AutocoreMessage m : messages) {
            ids[i] = m.deviceId;
            times[i++] = Timestamp.from(m.timestamp);
        }
        st.setArray(1, c.createArrayOf("text", ids));
        st.setArray(2, c.createArrayOf("timestamptz", times));
    }
}
