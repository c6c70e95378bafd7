package io.gridwire.mqtt;

import java.time.Instant;
import java.util.List;

/**
 * A durable buffer between an {@code mqtt-ingest:} route's MQTT side and its sinks (kafka-first mode,
 * {@code GRIDWIRE_MODE=kafka-first}): the consumer stores each received batch, unparsed, and acks it on MQTT once
 * stored; a reader takes the stored batches back, runs them through the route (parser, sinks, dead letters) and
 * commits each once the route completed it. Bound in the registry as {@value #BEAN}; without it the route runs direct.
 */
public interface IngestBuffer {

    /** The registry name {@link MqttIngestComponent} looks the buffer up by. */
    String BEAN = "ingestBuffer";

    /**
     * Exchange property (true) of a batch a replay re-applies: its refusals were stored as dead letters when it was
     * first applied, so they are not stored again.
     */
    String REPLAY = "gridwire.replay";

    /**
     * One message as received: its MQTT topic, payload, the key it is stored under (the topic's first named level: the
     * device id, the site id for seed 003; the topic when none) and when it was first received (the receipt time a
     * payload without timestamp takes; a redelivered copy carries the original's). {@code refused}: why it cannot be
     * read back whole (a payload over mqtt.maxPayloadBytes is stored cut to that size), else null.
     */
    record Stored(String topic, byte[] payload, String key, Instant receivedAt, String refused) {
        public Stored(String topic, byte[] payload, String key, Instant receivedAt) {
            this(topic, payload, key, receivedAt, null);
        }
    }

    /**
     * Stores a batch durably, in arrival order per key; returns once every message is stored (then the caller acks it).
     *
     * @param route the ingest route's id (one buffer per route)
     * @throws Exception when the batch could not be stored: it stays unacked, and the caller tries again
     */
    void store(String route, List<Stored> batch) throws Exception;

    /**
     * Makes the route's storage ready (e.g. creates its topic with the configured partitions) before the route takes its
     * first message; tries for a few seconds, then goes on trying in the background.
     */
    void prepare(String route);

    /**
     * Starts reading the route's stored messages back, in batches of at most {@code batchSize}, on a thread of its own:
     * a batch {@code reader} returns from is committed (not read again); one it throws for is read again.
     *
     * @return stops the reader: what it had not committed (a batch still in the route included) is read again by
     *         whichever reader takes the partitions over
     */
    AutoCloseable read(String route, int batchSize, Reader reader);

    /** Takes one stored batch through the route. */
    @FunctionalInterface
    interface Reader {
        /**
         * @param replay the batch is re-applied by a replay (not counted as new, refusals not stored again)
         * @throws Exception the batch was not completed: read it again
         */
        void process(List<Stored> batch, boolean replay) throws Exception;
    }
}
