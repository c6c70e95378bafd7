package io.gridwire.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ingest route's sink worker in kafka-first mode ({@link KafkaIngestBuffer}), a member of the route's consumer
 * group. Its thread polls; a batch goes to the route on a second thread while the partitions are paused and polling goes
 * on (heartbeats, rebalances: the member stays in its group however long a sink is down), then its offsets are
 * committed, or sought back to when the route failed it. Partitions revoked meanwhile are not committed: their new
 * owner reads the batch again (the writes are idempotent). It never ends while the route runs: after a failure a new
 * consumer rejoins the group.
 */
final class KafkaSinkWorker {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestBuffer.class);

    final String route;
    final String topic;
    final String group;
    final IngestBuffer.Reader reader;
    private final int batchSize;
    /** Makes a consumer in the group (group, max records per poll). */
    private final BiFunction<String, Integer, KafkaConsumer<String, byte[]>> consumers;
    private final ExecutorService routing;
    final Thread thread;
    /** Records committed since start. */
    volatile long committed;
    /** The group's lag as last refreshed (records; every instance's). */
    volatile long lag;
    /** This worker's rate over the last refresh interval, records/s. */
    volatile double rate;
    volatile String lastError;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private long refreshedAt = System.nanoTime();
    private long committedAt;
    private long loggedAt;

    KafkaSinkWorker(String route, String topic, String group, int batchSize, IngestBuffer.Reader reader,
                    BiFunction<String, Integer, KafkaConsumer<String, byte[]>> consumers) {
        this.route = route;
        this.topic = topic;
        this.group = group;
        this.batchSize = batchSize;
        this.reader = reader;
        this.consumers = consumers;
        this.routing = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kafka-first-route-" + route);
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::run, "kafka-first-worker-" + route);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Takes the group's lag (-1: unknown) and computes the rate since the last refresh; logs every 10 s while behind. */
    void refresh(long groupLag) {
        long now = System.nanoTime();
        long done = committed;
        rate = (done - committedAt) / Math.max(1e-3, (now - refreshedAt) / 1e9);
        committedAt = done;
        refreshedAt = now;
        if (groupLag >= 0) {
            lag = groupLag;
        }
        if (lag > 0 && rate > 0 && now - loggedAt > TimeUnit.SECONDS.toNanos(10)) {
            loggedAt = now;
            LOG.info("{}: sink workers {} records behind, this one catching up at {} records/s", route, lag, Math.round(rate));
        }
    }

    private void run() {
        long backoffMs = 200;
        while (running) {
            try (KafkaConsumer<String, byte[]> c = consumers.apply(group, batchSize)) {
                consumer = c;
                c.subscribe(List.of(topic));
                LOG.info("{}: sink worker reading {} in consumer group {}", route, topic, group);
                while (running) {
                    if (!readOne(c)) {
                        Thread.sleep(backoffMs);
                        backoffMs = Math.min(backoffMs * 2, 10_000);
                    } else {
                        backoffMs = 200;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                return; // closing
            } catch (Exception e) {
                lastError = e.toString();
                LOG.error("{}: sink worker failed ({}); rejoining its group in {} ms", route, e.toString(), backoffMs);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, 10_000);
            }
        }
    }

    /** Polls once; a batch goes through the route, then is committed. False when the route failed it. */
    private boolean readOne(KafkaConsumer<String, byte[]> c) throws Exception {
        var records = c.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
            return true;
        }
        List<IngestBuffer.Stored> batch = new ArrayList<>(records.count());
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            first.putIfAbsent(tp, r.offset());
            next.put(tp, new OffsetAndMetadata(r.offset() + 1));
            batch.add(RawRecords.stored(r));
        }
        Collection<TopicPartition> paused = c.assignment();
        c.pause(paused);
        Future<?> routed = routing.submit(() -> {
            reader.process(batch, false);
            return null;
        });
        try {
            while (!routed.isDone()) {
                c.poll(Duration.ofMillis(200)); // paused: nothing comes, the group keeps this member
                if (!running) {
                    routed.get(10, TimeUnit.SECONDS);
                }
            }
            routed.get();
        } catch (java.util.concurrent.ExecutionException e) {
            lastError = e.getCause().toString();
            LOG.warn("{}: a stored batch of {} was not completed ({}); reading it again", route, batch.size(),
                    e.getCause().getMessage());
            seekBack(c, first);
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            return true; // closing with a batch still in the route: not committed, read again by the next owner
        } finally {
            c.resume(c.assignment());
        }
        // what this member still owns; a revoked partition's batch is read again by its new owner
        next.keySet().retainAll(c.assignment());
        try {
            c.commitSync(next);
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            c.commitSync(next); // woken by close(): the batch is done, commit it
            throw e;
        }
        committed += batch.size();
        lastError = null;
        return true;
    }

    private void seekBack(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> first) {
        first.forEach((tp, offset) -> {
            if (c.assignment().contains(tp)) {
                c.seek(tp, offset);
            }
        });
    }

    /** Stops polling (a batch still in the route is not committed) and waits up to 15 s for the thread. */
    void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        routing.shutdownNow();
    }
}
