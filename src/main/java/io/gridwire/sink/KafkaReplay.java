package io.gridwire.sink;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replay of a kafka-first route ({@link KafkaIngestBuffer#replay}): an assign()-based reader (no group) from a time
 * to the raw topic's end as it was when asked, each batch through the route flagged as a replay, on a thread of its own.
 */
final class KafkaReplay {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestBuffer.class);

    private final String route;
    private final IngestBuffer.Reader reader;
    private final Runnable whenOver;
    private volatile boolean cancelled;
    private volatile long total;
    private volatile long applied;
    private volatile Instant from;

    /** @param whenOver called once the replay ended (done, cancelled or failed) */
    KafkaReplay(String route, IngestBuffer.Reader reader, Runnable whenOver) {
        this.route = route;
        this.reader = reader;
        this.whenOver = whenOver;
    }

    /** Progress, e.g. "from 2026-12-01T00:00:00Z: 300 of 1000 records re-applied". */
    String progress() {
        return "from " + from + ": " + applied + " of " + total + " records re-applied";
    }

    void cancel() {
        cancelled = true;
    }

    /**
     * Finds the offsets at {@code from} (Kafka's record time) and the current ends with the given consumer, then reads
     * on a thread of its own; the consumer is closed when the replay ends, or here if planning fails.
     *
     * @throws org.apache.kafka.common.KafkaException Kafka unreachable
     */
    KafkaIngestBuffer.Replay begin(KafkaConsumer<String, byte[]> c, String topic, Instant from) {
        this.from = from;
        try {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            c.assign(parts);
            Map<TopicPartition, Long> times = new HashMap<>();
            parts.forEach(tp -> times.put(tp, from.toEpochMilli()));
            var at = c.offsetsForTimes(times, Duration.ofSeconds(10));
            Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(10));
            Map<Integer, long[]> offsets = new java.util.TreeMap<>();
            long records = 0;
            for (TopicPartition tp : parts) {
                long start = at.get(tp) == null ? end.get(tp) : at.get(tp).offset();
                c.seek(tp, start);
                offsets.put(tp.partition(), new long[] {start, end.get(tp)});
                records += end.get(tp) - start;
            }
            total = records;
            Thread t = new Thread(() -> run(c, end), "kafka-first-replay-" + route);
            t.setDaemon(true);
            t.start();
            return new KafkaIngestBuffer.Replay(route, topic, from, offsets, records);
        } catch (RuntimeException e) {
            c.close(Duration.ofSeconds(2));
            whenOver.run();
            throw e;
        }
    }

    private void run(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        long t0 = System.nanoTime();
        try (c) {
            while (!cancelled && end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                List<IngestBuffer.Stored> batch = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        batch.add(RawRecords.stored(r));
                    }
                }
                if (!batch.isEmpty()) {
                    reader.process(batch, true);
                    applied += batch.size();
                }
            }
            LOG.info("{}: replay from {} {}: {} of {} records re-applied in {} s", route, from, cancelled ? "cancelled" : "done",
                    applied, total, String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        } catch (Exception e) {
            LOG.error("{}: replay from {} stopped after {} of {} records: {} (ask again to re-apply)", route, from, applied,
                    total, e.toString());
        } finally {
            whenOver.run();
        }
    }
}
