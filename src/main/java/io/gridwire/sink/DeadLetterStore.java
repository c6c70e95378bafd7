package io.gridwire.sink;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

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

    public void store(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String routeId = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        if (routeId == null) {
            routeId = exchange.getFromRouteId();
        }
        String topic = exchange.getMessage().getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class);
        byte[] payload = payload(exchange.getMessage().getBody());
        String reason = cause == null ? "unknown" : cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
        if (reason.length() > MAX_REASON) {
            reason = reason.substring(0, MAX_REASON);
        }
        String finalRouteId = routeId;
        String finalReason = reason;
        retry.run(exchange.getContext(), "Dead-letter store", () -> {
            insert(finalRouteId, topic, payload, finalReason, cause == null ? null : cause.getClass().getName());
            return null;
        });
        counts.computeIfAbsent(routeId, k -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
        if (meters != null) {
            meters.count("gridwire_dead_letters", "route", routeId, "reason",
                    cause == null ? "unknown" : cause.getClass().getSimpleName());
        }
        LOG.warn("Dead letter from route {} (topic {}): {}", routeId, topic, reason);
    }

    /** Dead letters stored from a route since start-up. */
    public long count(String routeId) {
        var c = counts.get(routeId);
        return c == null ? 0 : c.get();
    }

    private void insert(String routeId, String topic, byte[] payload, String reason, String type) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, routeId == null ? "unknown" : routeId);
            ps.setString(2, topic);
            ps.setBytes(3, payload);
            // text copy for people reading the table; NUL is not allowed in PostgreSQL text
            ps.setString(4, payload == null ? null : new String(payload, StandardCharsets.UTF_8).replace('\0', '\uFFFD'));
            ps.setString(5, reason);
            ps.setString(6, type);
            ps.executeUpdate();
        }
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
