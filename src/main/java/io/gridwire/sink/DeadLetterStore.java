package io.gridwire.sink;

import io.gridwire.message.RedeliverLaterException;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;

import io.gridwire.mqtt.IngestMessage;

import javax.sql.DataSource;

import org.apache.camel.Exchange;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a message gridwire could not accept in dead_letters, with the route, topic, raw payload and reason.
 * Called by the dead-letter channel before the message is acked; while PostgreSQL is unavailable it retries,
 * so a dead letter is never acked without being stored.
 */
public class DeadLetterStore {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterStore.class);
    private static final String INSERT = """
            INSERT INTO dead_letters (route_id, topic, payload, payload_text, reason, exception_type)
            VALUES (?, ?, ?, ?, ?, ?)""";
    private static final int MAX_REASON = 2000;

    private final DataSource dataSource;
    private final UntilAvailable retry;
    private final io.gridwire.metrics.Meters meters;
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicLong> counts = new java.util.concurrent.ConcurrentHashMap<>();

    public DeadLetterStore(DataSource dataSource, long initialRetryMs, long maxRetryMs, io.gridwire.metrics.Meters meters) {
        this.meters = meters;
        this.dataSource = dataSource;
        this.retry = new UntilAvailable(initialRetryMs, maxRetryMs);
    }

    /**
     * Stores the failed message of an exchange (the dead-letter channel's {@code direct:dead-letter}): route, topic,
     * payload as it arrived and the exception's message as the reason. Waits and retries while PostgreSQL is down.
     *
     * @throws RedeliverLaterException when gridwire stops before it could be stored (the message stays unacked)
     */
    public void store(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String routeId = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        if (routeId == null) {
            routeId = exchange.getFromRouteId();
        }
        String topic = exchange.getMessage().getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class);
        storeAll(exchange.getContext(), routeId, List.of(new Letter(topic, payload(exchange.getMessage().getBody()), cause)));
    }

    /**
     * Stores the rejected messages of a batch exchange (body {@code List<IngestMessage>} of an {@code mqtt-ingest:}
     * route) in one transaction, each with its own reason; the others are left alone. Waits and retries while
     * PostgreSQL is down. Nothing for a batch a kafka-first replay re-applies ({@link io.gridwire.mqtt.IngestBuffer#REPLAY}):
     * its refusals were stored when it was first applied.
     *
     * @throws RedeliverLaterException when gridwire stops before they could be stored (the batch stays unacked)
     */
    public void storeRejected(Exchange exchange) throws Exception {
        if (exchange.getProperty(io.gridwire.mqtt.IngestBuffer.REPLAY, false, Boolean.class)) {
            return; // a replay: these refusals were stored when the batch was first applied
        }
        List<?> batch = exchange.getMessage().getBody(List.class);
        List<Letter> letters = new ArrayList<>();
        for (Object o : batch) {
            if (o instanceof IngestMessage m && m.rejected()) {
                letters.add(new Letter(m.topic(), m.payload(), m.rejection()));
            }
        }
        if (!letters.isEmpty()) {
            storeAll(exchange.getContext(), exchange.getFromRouteId(), letters);
        }
    }

    /**
     * Stores dead letters that did not come through an MQTT route (e.g. Kafka records a consumer route cannot read) in
     * one transaction. Waits and retries while PostgreSQL is down.
     *
     * @param routeId the route that refused them
     * @throws RedeliverLaterException when gridwire stops before they could be stored
     */
    public void storeLetters(CamelContext context, String routeId, List<Letter> letters) throws Exception {
        storeAll(context, routeId, letters);
    }

    /** One dead letter: where it came from (topic), its payload as it arrived, and why it was refused. */
    public record Letter(String topic, byte[] payload, Throwable cause) {
        String reason() {
            String r = cause == null ? "unknown" : cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
            // a reason may quote the payload: NUL is not allowed in PostgreSQL text
            r = r.replace('\0', '\uFFFD');
            return r.length() > MAX_REASON ? r.substring(0, MAX_REASON) : r;
        }
    }

    private void storeAll(CamelContext context, String routeId, List<Letter> letters) throws Exception {
        retry.run(context, "Dead-letter store", () -> {
            insert(routeId, letters);
            return null;
        });
        counts.computeIfAbsent(routeId, k -> new java.util.concurrent.atomic.AtomicLong()).addAndGet(letters.size());
        for (Letter l : letters) {
            if (meters != null) {
                meters.count("gridwire_dead_letters", "route", routeId, "reason",
                        l.cause() == null ? "unknown" : l.cause().getClass().getSimpleName());
            }
            LOG.warn("Dead letter from route {} (topic {}): {}", routeId, l.topic(), l.reason());
        }
    }

    /** Dead letters stored from a route since start-up. */
    public long count(String routeId) {
        var c = counts.get(routeId);
        return c == null ? 0 : c.get();
    }

    private void insert(String routeId, List<Letter> letters) throws SQLException {
        Transactions.run(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                for (Letter l : letters) {
                    ps.setString(1, routeId == null ? "unknown" : routeId);
                    ps.setString(2, l.topic());
                    ps.setBytes(3, l.payload());
                    // text copy for people reading the table; NUL is not allowed in PostgreSQL text
                    ps.setString(4, l.payload() == null ? null
                            : new String(l.payload(), StandardCharsets.UTF_8).replace('\0', '\uFFFD'));
                    ps.setString(5, l.reason());
                    ps.setString(6, l.cause() == null ? null : l.cause().getClass().getName());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }

    private static byte[] payload(Object body) {
        if (body == null) {
            return null;
        }
        if (body instanceof byte[] b) {
            return b;
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }
}
