package io.gridwire.sink;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka-first mode's buffer ({@code GRIDWIRE_MODE=kafka-first}, issue 17): each ingest route's raw MQTT messages go
 * to the topic {@code {kafkaFirst.topicPrefix}{route id}} (key: the topic's first named level; value: the payload
 * unchanged, cut to {@code mqtt.maxPayloadBytes} when larger; headers as {@link RawRecords} says) with {@code acks=all} and an idempotent producer, before the MQTT ack. Sink workers are the consumer group
 * {@code {kafkaFirst.groupPrefix}{route id}}: on every instance the route's {@link KafkaSinkWorker} reads its partitions back in
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

    /**
     * Settings: Kafka (bootstrap servers and security), topic and group prefixes, the raw topics' retention (ms), how long storing a batch may take (ms),
     * and the largest payload stored whole (bytes; mqtt.maxPayloadBytes, below Kafka's record limit).
     */
    public record Settings(KafkaClients kafka, String topicPrefix, String groupPrefix, long retentionMs, long sendTimeoutMs,
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
    private final Map<String, KafkaSinkWorker> workers = new ConcurrentHashMap<>();
    private final Map<String, KafkaReplay> replays = new ConcurrentHashMap<>();
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
            sent.add(p.send(RawRecords.record(topic, s, settings.maxPayloadBytes())));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.sendTimeoutMs());
        for (Future<RecordMetadata> f : sent) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public AutoCloseable read(String route, int batchSize, Reader reader) {
        KafkaSinkWorker w = new KafkaSinkWorker(route, topic(route), settings.groupPrefix() + route, batchSize, reader,
                this::consumer);
        if (workers.put(route, w) == null) {
            meters.gauge("gridwire_kafka_first_lag", () -> {
                KafkaSinkWorker now = workers.get(route);
                return now == null ? 0 : now.lag;
            }, "route", route);
            meters.gauge("gridwire_kafka_first_rate", () -> {
                KafkaSinkWorker now = workers.get(route);
                return now == null ? 0 : now.rate;
            }, "route", route);
        }
        w.start();
        return () -> {
            workers.remove(route, w);
            KafkaReplay replay = replays.get(route);
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
            KafkaReplay r = replays.get(w.route);
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
        KafkaSinkWorker w = workers.get(route);
        if (w == null) {
            throw new IllegalArgumentException("no ingest route '" + route + "' reads " + settings.topicPrefix() + "* here; routes: "
                                               + workers.keySet());
        }
        KafkaReplay[] run = new KafkaReplay[1];
        run[0] = new KafkaReplay(route, w.reader, () -> replays.remove(route, run[0]));
        if (replays.putIfAbsent(route, run[0]) != null) {
            throw new IllegalStateException("a replay of " + route + " runs: " + replays.get(route).progress());
        }
        Replay plan = run[0].begin(consumer(null, 1000), topic(route), from);
        LOG.info("{}: replaying {} records of {} from {} (offsets per partition {})", route, plan.records(), plan.topic(), from,
                plan.offsets().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()[0] + "-" + e.getValue()[1]).toList());
        return plan;
    }

    private synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.putAll(settings.kafka().config());
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
        p.putAll(settings.kafka().config());
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
        for (KafkaSinkWorker w : workers.values()) {
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
                p.putAll(settings.kafka().config());
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
        replays.values().forEach(KafkaReplay::cancel);
        workers.values().forEach(KafkaSinkWorker::close);
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

}
