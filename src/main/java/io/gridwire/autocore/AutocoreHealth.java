package io.gridwire.autocore;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.gridwire.api.Reply;
import io.gridwire.mqtt.MqttIngestConsumer;

/** Seed 002's GET /health/mqtt-monitor for the AutoCore family (bean {@code autocoreHealth}). */
public class AutocoreHealth {

    private final BooleanSupplier brokerConnected;
    private final Supplier<String> heldBack;
    private final LongSupplier errors;
    private final Supplier<MqttIngestConsumer> ingest;

    /**
     * @param brokerConnected whether the family's MQTT client is connected
     * @param heldBack        the sink holding the family's messages back longer than ingest.heldBackHealthMs and why,
     *                        or null
     * @param errors          the family's dead letters so far
     * @param ingest          the autocore-ingest route's consumer, or null before it started
     */
    public AutocoreHealth(BooleanSupplier brokerConnected, Supplier<String> heldBack, LongSupplier errors,
                          Supplier<MqttIngestConsumer> ingest) {
        this.brokerConnected = brokerConnected;
        this.heldBack = heldBack;
        this.errors = errors;
        this.ingest = ingest;
    }

    /**
     * Responds 200 while connected to the broker and no sink holds the family's messages back longer than
     * ingest.heldBackHealthMs, else 503; the body has status, broker_connected, last_message_time (ISO-8601),
     * messages_processed (acked), errors_count (dead letters) and, when held back, {@code held_back} naming the sink
     * and its reason.
     *
     * @return the {@link Reply} the REST route configuration writes
     */
    public Reply health() {
        boolean connected = brokerConnected.getAsBoolean();
        String held = heldBack.get();
        boolean healthy = connected && held == null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", healthy ? "healthy" : "unhealthy");
        m.put("broker_connected", connected);
        if (held != null) {
            m.put("held_back", held);
        }
        MqttIngestConsumer consumer = ingest.get();
        Instant last = consumer == null ? null : consumer.lastCommitted();
        m.put("last_message_time", last == null ? null : last.toString());
        m.put("messages_processed", consumer == null ? 0 : consumer.acked(false));
        m.put("errors_count", errors.getAsLong());
        return Reply.health(healthy, m);
    }
}
