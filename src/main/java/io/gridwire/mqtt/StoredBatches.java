package io.gridwire.mqtt;

import java.util.ArrayList;
import java.util.List;

import io.gridwire.message.InvalidMessageException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two sides of an ingest route in kafka-first mode (see {@link IngestBuffer}): the MQTT side stores each received
 * batch and then acks it; the reader side parses what the buffer gives back and takes it through the route.
 */
final class StoredBatches {

    private static final Logger LOG = LoggerFactory.getLogger(MqttIngestConsumer.class);

    private final MqttIngestConsumer consumer;
    private final IngestBuffer buffer;
    private final MessageReading reading;

    StoredBatches(MqttIngestConsumer consumer, IngestBuffer buffer, MessageReading reading) {
        this.consumer = consumer;
        this.buffer = buffer;
        this.reading = reading;
    }

    /**
     * The reader's side: a stored batch parsed (with each message's first receipt time) and taken through the route,
     * waiting for it; returns once every sink committed it or stored its refusals as dead letters.
     *
     * @throws Exception the route did not complete the batch (it is read again)
     */
    void route(List<IngestBuffer.Stored> stored, boolean replay) throws Exception {
        List<IngestMessage> batch = new ArrayList<>(stored.size());
        for (IngestBuffer.Stored s : stored) {
            IngestMessage m = new IngestMessage(s.topic(), s.payload(), 0, 0, 0);
            if (s.refused() != null) {
                m.reject(new InvalidMessageException(s.refused()));
            } else {
                reading.parse(m, s.receivedAt());
            }
            batch.add(m);
        }
        Exchange exchange = consumer.createExchange(false);
        try {
            exchange.getMessage().setBody(batch);
            exchange.setProperty(IngestBuffer.REPLAY, replay);
            consumer.getProcessor().process(exchange);
            if (exchange.getException() != null) {
                throw exchange.getException();
            }
            if (!replay) {
                consumer.count(batch);
            }
        } finally {
            consumer.releaseExchange(exchange, false);
        }
    }

    /**
     * The MQTT side: the batch stored in the buffer (retried with backoff while it cannot be), then acked. Stopping
     * before it could be stored leaves it unacked: it comes back with the session.
     */
    void storeThenAck(List<IngestMessage> batch) {
        List<IngestBuffer.Stored> stored = new ArrayList<>(batch.size());
        batch.forEach(m -> stored.add((IngestBuffer.Stored) m.body()));
        long delayMs = 200;
        long warnedAt = 0;
        while (true) {
            try {
                buffer.store(consumer.getRouteId(), stored);
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                giveBack(batch, "interrupted");
                return;
            } catch (Exception e) {
                if (!consumer.isRunAllowed()) {
                    giveBack(batch, e.getMessage());
                    return;
                }
                if (System.currentTimeMillis() - warnedAt > 30_000) {
                    warnedAt = System.currentTimeMillis();
                    LOG.warn("{}: cannot store a batch of {} ({}); it waits unacked, retrying", consumer.getRouteId(), batch.size(),
                            e.getMessage());
                }
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    giveBack(batch, "interrupted");
                    return;
                }
                delayMs = Math.min(delayMs * 2, 5000);
            }
        }
        consumer.ack(batch);
        consumer.settled(batch.size());
    }

    private void giveBack(List<IngestMessage> batch, String why) {
        consumer.settled(batch.size());
        consumer.keepSession();
        LOG.warn("{}: stopping with a batch of {} not stored ({}); it stays unacked and comes back with the session",
                consumer.getRouteId(), batch.size(), why);
    }
}
