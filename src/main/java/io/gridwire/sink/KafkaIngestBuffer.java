package io.gridwire.sink;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka-first mode's buffer ({@code GRIDWIRE_MODE=kafka-first}, issue 17): each ingest route's raw MQTT messages go
 * to the topic {@code {kafkaFirst.topicPrefix}{route id}} (key: the topic's first named level; value: the payload
 * unchanged, cut to {@code mqtt.maxPayloadBytes} with header {@code gridwire_refused} when larger; headers
 * {@code gridwire_mqtt_topic}, {@code gridwire_received_at} (ISO-8601, the first receipt) and {@code gridwire_raw_id})
 * with {@code acks=all} and an idempotent producer, before the MQTT ack. Sink workers are the consumer group
 * {@code {kafkaFirst.groupPrefix}{route id}}: on every instance the route's {@link Worker} reads its partitions back in
 * batches, runs each through the route's parser and sinks on a thread of its own while it goes on polling (paused), so
 * it stays in its group however long a sink is down, and commits the batch's offsets only once the route completed
 * it; a batch the route failed is read again from its first offsets.
 *
 * <p>A sink down for an hour holds one batch in gridwire: the MQTT side goes on storing, and the backlog is the topic's.
 * {@link #status} gives per route the group's lag and this worker's catch-up rate (refreshed every 2 s on a thread of
 * its own); {@link #replay} re-applies a route's records from a time.
 *
 * <p>Why Kafka's own client rather than camel-kafka here: the worker must hand a batch to the family's route, wait for
 * it, and commit exactly that batch's offsets or seek back to them; on the client that commit point is one explicit
 * call, where camel-kafka's batching consumer decides it in completion callbacks and its error strategies.
 */
public final class KafkaIngestBuffer implements IngestBuffer, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestBuffer.class);
    static final String TOPIC_HEADER = "gridwire_mqtt_topic";
    static final String RECEIVED_HEADER = "gridwire_received_at";
    static final String ID_HEADER = "gridwire_raw_id";
    static final String REFUSED_HEADER = "gridwire_refused";

    /**
     * Settings: Kafka, topic and group prefixes, the raw topics' retention (ms), how long storing a batch may take (ms),
     * and the largest payload stored whole (bytes; mqtt.maxPayloadBytes, below Kafka's record limit).
     */
    public record Settings(String bootstrap, String topicPrefix, String groupPrefix, long retentionMs, long sendTimeoutMs,
                           int maxPayloadBytes) {
    }

    /**
     * One route's worker: its raw topic and group, the group's lag (records not committed, every instance's), this
     * worker's catch-up rate (records/s over the last 2 s), what it committed since start, whether its thread runs,
     * its last error, and the route's running replay (null when none).
     */
    public record WorkerStatus(String route, String topic, String group, long lag, double ratePerSecond, long committed,
                               boolean alive, String lastError, String replay) {
    }

    private final Settings settings;
    private final KafkaTopics topics;
    private final io.gridwire.metrics.Meters meters;
    private final Map<String, Worker> workers = new ConcurrentHashMap<>();
    private final Map<String, ReplayRun> replays = new ConcurrentHashMap<>();
    private final ScheduledExecutorService statusRefresh;
    private volatile KafkaProducer<String, byte[]> producer;
    private Admin admin;

    /**
     * @param topics where the raw topics are created when missing (partitions, replication as configured)
     * @param meters where each worker's lag and catch-up rate are gauges (gridwire_kafka_first_lag, _rate {route})
     */
    public KafkaIngestBuffer(Settings settings, KafkaTopics topics, io.gridwire.metrics.Meters meters) {
        this.settings = settings;
        this.topics = topics;
        this.meters = meters;
        this.statusRefresh = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-first-status");
            t.setDaemon(true);
            return t;
        });
        statusRefresh.scheduleWithFixedDelay(this::refreshAll, 2, 2, TimeUnit.SECONDS);
    }

    /** The raw topic of an ingest route. */
    public String topic(String route) {
        return settings.topicPrefix() + route;
    }

    @Override
    public void prepare(String route) {
        topics.topic(topic(route), settings.retentionMs());
        topics.ensure();
    }

    @Override
    public void store(String route, List<Stored> batch) throws Exception {
        KafkaProducer<String, byte[]> p = producer();
        String topic = topic(route);
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
        for (Stored s : batch) {
            byte[] value = s.payload();
            String refused = null;
            if (value.length > settings.maxPayloadBytes()) {
                // the parser would refuse it; Kafka would refuse the record for good and hold the route up
                refused = "payload of " + value.length + " bytes exceeds the limit of " + settings.maxPayloadBytes()
                          + " bytes (mqtt.maxPayloadBytes; stored cut to it)";
                value = Arrays.copyOf(value, settings.maxPayloadBytes());
            }
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, s.key(), value);
            r.headers().add(TOPIC_HEADER, s.topic().getBytes(StandardCharsets.UTF_8));
            r.headers().add(RECEIVED_HEADER, s.receivedAt().toString().getBytes(StandardCharsets.UTF_8));
            r.headers().add(ID_HEADER, rawId(s).getBytes(StandardCharsets.UTF_8));
            if (refused != null) {
                r.headers().add(REFUSED_HEADER, refused.getBytes(StandardCharsets.UTF_8));
            }
            sent.add(p.send(r));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.sendTimeoutMs());
        for (Future<RecordMetadata> f : sent) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The id a stored message keeps in every copy (a redelivery takes the first receipt time): its key, its first
     * receipt, and a CRC-32 of its MQTT topic and payload, e.g. {@code meter-7@2026-12-01T03:00:00.123456Z#1a2b3c4d}.
     */
    static String rawId(Stored s) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(s.topic().getBytes(StandardCharsets.UTF_8));
        crc.update(s.payload());
        return s.key() + "@" + s.receivedAt() + "#" + String.format("%08x", crc.getValue());
    }

    @Override
    public AutoCloseable read(String route, int batchSize, Reader reader) {
        Worker w = new Worker(route, batchSize, reader);
        if (workers.put(route, w) == null) {
            meters.gauge("gridwire_kafka_first_lag", () -> {
                Worker now = workers.get(route);
                return now == null ? 0 : now.lag;
            }, "route", route);
            meters.gauge("gridwire_kafka_first_rate", () -> {
                Worker now = workers.get(route);
                return now == null ? 0 : now.rate;
            }, "route", route);
        }
        w.start();
        return () -> {
            workers.remove(route, w);
            ReplayRun replay = replays.get(route);
            if (replay != null) {
                replay.cancel();
            }
            w.close();
        };
    }

    /** Every running worker's status (as of the last refresh, at most 2 s old), by route. */
    public List<WorkerStatus> status() {
        List<WorkerStatus> out = new ArrayList<>();
        workers.values().forEach(w -> {
            ReplayRun r = replays.get(w.route);
            out.add(new WorkerStatus(w.route, w.topic, w.group, w.lag, w.rate, w.committed, w.thread.isAlive(), w.lastError,
                    r == null ? null : r.progress()));
        });
        out.sort(java.util.Comparator.comparing(WorkerStatus::route));
        return out;
    }

    /** What a replay re-applies: the route, the partitions with offsets from and to, and the record count. */
    public record Replay(String route, String topic, Instant from, Map<Integer, long[]> offsets, long records) {
    }

    /**
     * Re-applies a route's stored records from a time (Kafka's record time: when the message was stored) through its
     * route (parser, sinks; refusals were stored as dead letters the first time and are not stored again), on a thread
     * of its own, up to the end of the topic as it is now; the route's writes are idempotent, so what had landed lands
     * once. The live worker group goes on meanwhile: Kafka refuses to move the offsets of a group with members, so the
     * replay reads with a reader of its own. One replay per route at a time.
     *
     * @return what it is going to re-apply
     * @throws IllegalArgumentException for a route that is not read here
     * @throws IllegalStateException while a replay of the route runs
     * @throws org.apache.kafka.common.KafkaException Kafka unreachable
     */
    public Replay replay(String route, Instant from) {
        Worker w = workers.get(route);
        if (w == null) {
            throw new IllegalArgumentException("no ingest route '" + route + "' reads " + settings.topicPrefix() + "* here; routes: "
                                               + workers.keySet());
        }
        ReplayRun run = new ReplayRun(route, w.reader);
        if (replays.putIfAbsent(route, run) != null) {
            throw new IllegalStateException("a replay of " + route + " runs: " + replays.get(route).progress());
        }
        try {
            Replay replay = run.begin(topic(route), from);
            LOG.info("{}: replaying {} records of {} from {} (offsets per partition {})", route, replay.records(), replay.topic(), from,
                    replay.offsets().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()[0] + "-" + e.getValue()[1]).toList());
            return replay;
        } catch (RuntimeException e) {
            replays.remove(route, run);
            throw e;
        }
    }

    /** A stored record as the route reads it; a header it cannot read falls back (Kafka's time, the raw topic). */
    static Stored stored(ConsumerRecord<String, byte[]> r) {
        String topic = header(r, TOPIC_HEADER);
        Instant received;
        try {
            String at = header(r, RECEIVED_HEADER);
            received = at == null ? Instant.ofEpochMilli(r.timestamp()) : Instant.parse(at);
        } catch (RuntimeException e) {
            received = Instant.ofEpochMilli(r.timestamp());
        }
        return new Stored(topic == null ? r.topic() : topic, r.value() == null ? new byte[0] : r.value(), r.key(), received,
                header(r, REFUSED_HEADER));
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(settings.sendTimeoutMs()));
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(Math.max(settings.sendTimeoutMs(), 10_000)));
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(p);
        }
        return producer;
    }

    /** A consumer of raw records: in {@code group} (null: none, for assign()), at most {@code maxRecords} per poll. */
    KafkaConsumer<String, byte[]> consumer(String group, int maxRecords) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // a new group starts at the beginning: the topic holds only what no worker committed yet, or what it retains
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(maxRecords));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private void refreshAll() {
        for (Worker w : workers.values()) {
            try {
                w.refresh(groupLag(w.topic, w.group));
            } catch (Exception e) {
                w.refresh(-1);
                LOG.debug("{}: lag unknown: {}", w.route, e.toString());
            }
        }
    }

    /** Records of the topic its group has not committed yet, over all partitions (a partition never committed: all). */
    private long groupLag(String topic, String group) throws Exception {
        Admin a;
        synchronized (this) {
            if (admin == null) {
                Properties p = new Properties();
                p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
                p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
                p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
                admin = Admin.create(p);
            }
            a = admin;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(5, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        a.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic).partitions().forEach(p -> {
            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
        });
        var ends = a.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        var starts = a.listOffsets(earliest).all().get(5, TimeUnit.SECONDS);
        long total = 0;
        for (var e : ends.entrySet()) {
            OffsetAndMetadata at = committed.get(e.getKey());
            total += e.getValue().offset() - (at == null ? starts.get(e.getKey()).offset() : at.offset());
        }
        return total;
    }

    @Override
    public void close() {
        statusRefresh.shutdownNow();
        replays.values().forEach(ReplayRun::cancel);
        workers.values().forEach(Worker::close);
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        }
        KafkaProducer<String, byte[]> p = producer;
        if (p != null) {
            p.close(Duration.ofSeconds(5));
        }
    }

    /**
     * One route's sink worker. Its thread polls; a batch goes to the route on a second thread while the partitions are
     * paused and polling goes on (heartbeats, rebalances), then its offsets are committed, or sought back to when the
     * route failed it. Partitions revoked meanwhile are not committed: their new owner reads the batch again (the
     * writes are idempotent).
     */
    private final class Worker {
        final String route;
        final String topic;
        final String group;
        final Reader reader;
        private final int batchSize;
        private final ExecutorService routing;
        volatile long committed;
        volatile long lag;
        volatile double rate;
        volatile String lastError;
        private volatile boolean running = true;
        private volatile KafkaConsumer<String, byte[]> consumer;
        final Thread thread;
        private long refreshedAt = System.nanoTime();
        private long committedAt;
        private long loggedAt;

        Worker(String route, int batchSize, Reader reader) {
            this.route = route;
            this.topic = topic(route);
            this.group = settings.groupPrefix() + route;
            this.batchSize = batchSize;
            this.reader = reader;
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
                try (KafkaConsumer<String, byte[]> c = consumer(group, batchSize)) {
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
                    // a worker never ends while the route runs: a new consumer rejoins the group after a pause
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
            List<Stored> batch = new ArrayList<>(records.count());
            Map<TopicPartition, Long> first = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : records) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                first.putIfAbsent(tp, r.offset());
                next.put(tp, new OffsetAndMetadata(r.offset() + 1));
                batch.add(stored(r));
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

    /** One replay of a route: an assign()-based reader from a time to the topic's end as it was when asked. */
    private final class ReplayRun {
        private final String route;
        private final Reader reader;
        private volatile boolean cancelled;
        private volatile long total;
        private volatile long applied;
        private volatile Instant from;

        ReplayRun(String route, Reader reader) {
            this.route = route;
            this.reader = reader;
        }

        String progress() {
            return "from " + from + ": " + applied + " of " + total + " records re-applied";
        }

        void cancel() {
            cancelled = true;
        }

        Replay begin(String topic, Instant from) {
            this.from = from;
            KafkaConsumer<String, byte[]> c = consumer(null, 1000);
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
                Replay replay = new Replay(route, topic, from, offsets, records);
                Thread t = new Thread(() -> run(c, end), "kafka-first-replay-" + route);
                t.setDaemon(true);
                t.start();
                return replay;
            } catch (RuntimeException e) {
                c.close(Duration.ofSeconds(2));
                throw e;
            }
        }

        private void run(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
            long t0 = System.nanoTime();
            try (c) {
                while (!cancelled && end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                    List<Stored> batch = new ArrayList<>();
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                        if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                            batch.add(stored(r));
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
                replays.remove(route, this);
            }
        }
    }
}
