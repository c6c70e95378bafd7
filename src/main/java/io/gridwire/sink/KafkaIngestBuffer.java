package io.gridwire.sink;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka-first mode's buffer ({@code GRIDWIRE_MODE=kafka-first}, issue 17): each ingest route's raw MQTT messages go
 * to the topic {@code {kafkaFirst.topicPrefix}{route id}} (key: the device id; value: the payload unchanged; headers
 * {@code gridwire_mqtt_topic}, {@code gridwire_received_at} (ISO-8601, the first receipt) and
 * {@code gridwire_raw_id}, a stable id of the message), with {@code acks=all} and an idempotent producer, before the
 * MQTT ack. Sink workers are the consumer group {@code {kafkaFirst.groupPrefix}{route id}}: on every instance the
 * route reads its partitions back in batches, runs them through its parser and sinks, and commits the offsets only
 * once the route completed the batch; a batch the route failed is read again from its first offset.
 *
 * <p>A sink down for an hour holds nothing in gridwire: the MQTT side goes on storing, the worker's one batch waits
 * in the sink pipeline, and the backlog is the topic's. {@link #status} gives per route the worker's lag (records
 * in its partitions not yet committed) and its catch-up rate; {@link #replay} re-applies a route's records from a time.
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

    /** Settings: topic and group prefixes, the topics' retention (ms), how long a send may take (ms). */
    public record Settings(String bootstrap, String topicPrefix, String groupPrefix, long retentionMs, long sendTimeoutMs) {
    }

    /** One route's worker as last seen: lag (records), catch-up rate (records/s over the last interval), committed. */
    public record WorkerStatus(String route, String topic, String group, long lag, double ratePerSecond, long committed,
                               String lastError) {
    }

    private final Settings settings;
    private final KafkaTopics topics;
    private final io.gridwire.metrics.Meters meters;
    private final Map<String, Worker> workers = new ConcurrentHashMap<>();
    private final Map<String, Reader> readers = new ConcurrentHashMap<>();
    private volatile KafkaProducer<String, byte[]> producer;

    /**
     * @param topics where the raw topics are created when missing (partitions, replication as configured)
     * @param meters where each worker's lag and catch-up rate are gauges (gridwire_kafka_first_lag, _rate {route})
     */
    public KafkaIngestBuffer(Settings settings, KafkaTopics topics, io.gridwire.metrics.Meters meters) {
        this.settings = settings;
        this.topics = topics;
        this.meters = meters;
    }

    /** The raw topic of an ingest route. */
    public String topic(String route) {
        return settings.topicPrefix() + route;
    }

    @Override
    public void store(String route, List<Stored> batch) throws Exception {
        KafkaProducer<String, byte[]> p = producer();
        String topic = topic(route);
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
        for (Stored s : batch) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, s.key(), s.payload());
            r.headers().add(TOPIC_HEADER, s.topic().getBytes(StandardCharsets.UTF_8));
            r.headers().add(RECEIVED_HEADER, s.receivedAt().toString().getBytes(StandardCharsets.UTF_8));
            r.headers().add(ID_HEADER, rawId(s).getBytes(StandardCharsets.UTF_8));
            sent.add(p.send(r));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.sendTimeoutMs());
        for (Future<RecordMetadata> f : sent) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** A stable id of a stored message: its topic, receipt time and a hash of topic and payload. */
    static String rawId(Stored s) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(s.topic().getBytes(StandardCharsets.UTF_8));
        crc.update(s.payload());
        return s.key() + "@" + s.receivedAt() + "#" + String.format("%08x", crc.getValue());
    }

    @Override
    public AutoCloseable read(String route, int batchSize, Reader reader) {
        readers.put(route, reader);
        Worker w = new Worker(route, batchSize, reader);
        if (workers.put(route, w) == null) {
            meters.gauge("gridwire_kafka_first_lag", () -> {
                Worker now = workers.get(route);
                return now == null ? 0 : now.status().lag();
            }, "route", route);
            meters.gauge("gridwire_kafka_first_rate", () -> {
                Worker now = workers.get(route);
                return now == null ? 0 : now.status().ratePerSecond();
            }, "route", route);
        }
        w.start();
        return () -> {
            workers.remove(route, w);
            w.close();
        };
    }

    private org.apache.kafka.clients.admin.Admin admin;

    /** Records of the topic its group has not committed yet, over all partitions (a partition never committed: all). */
    private long groupLag(String topic, String group) throws Exception {
        org.apache.kafka.clients.admin.Admin a;
        synchronized (this) {
            if (admin == null) {
                Properties p = new Properties();
                p.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
                p.put(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
                p.put(org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
                admin = org.apache.kafka.clients.admin.Admin.create(p);
            }
            a = admin;
        }
        Map<TopicPartition, OffsetAndMetadata> committedOffsets = a.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> earliest = new HashMap<>();
        a.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic).partitions().forEach(p -> {
            latest.put(new TopicPartition(topic, p.partition()), org.apache.kafka.clients.admin.OffsetSpec.latest());
            earliest.put(new TopicPartition(topic, p.partition()), org.apache.kafka.clients.admin.OffsetSpec.earliest());
        });
        var ends = a.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        var starts = a.listOffsets(earliest).all().get(5, TimeUnit.SECONDS);
        long total = 0;
        for (var e : ends.entrySet()) {
            OffsetAndMetadata at = committedOffsets.get(e.getKey());
            total += e.getValue().offset() - (at == null ? starts.get(e.getKey()).offset() : at.offset());
        }
        return total;
    }

    /** Every running worker's status, by route. */
    public List<WorkerStatus> status() {
        List<WorkerStatus> out = new ArrayList<>();
        workers.values().forEach(w -> out.add(w.status()));
        out.sort(java.util.Comparator.comparing(WorkerStatus::route));
        return out;
    }

    /** What a replay re-applies: the route, the partitions and offsets from and to, and the record count. */
    public record Replay(String route, String topic, Instant from, Map<Integer, long[]> offsets, long records) {
    }

    /**
     * Re-applies a route's stored records from a time through its route (parser, sinks, dead letters), on a thread of
     * its own, up to the end of the topic as it is now; the route's writes are idempotent, so what was applied before
     * lands once. The live worker group goes on meanwhile (Kafka would refuse to move the offsets of a group that has
     * members, so the replay reads with a reader of its own instead).
     *
     * @return what it is going to re-apply
     * @throws IllegalArgumentException for a route that is not read here
     */
    public Replay replay(String route, Instant from) {
        Reader reader = readers.get(route);
        if (reader == null) {
            throw new IllegalArgumentException("no ingest route '" + route + "' reads " + settings.topicPrefix() + "* here; routes: "
                                               + readers.keySet());
        }
        String topic = topic(route);
        KafkaConsumer<String, byte[]> c = consumer(null, 1000);
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        c.assign(parts);
        Map<TopicPartition, Long> times = new HashMap<>();
        parts.forEach(tp -> times.put(tp, from.toEpochMilli()));
        var at = c.offsetsForTimes(times, Duration.ofSeconds(10));
        Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(10));
        Map<Integer, long[]> offsets = new java.util.TreeMap<>();
        long total = 0;
        for (TopicPartition tp : parts) {
            long start = at.get(tp) == null ? end.get(tp) : at.get(tp).offset();
            c.seek(tp, start);
            offsets.put(tp.partition(), new long[] {start, end.get(tp)});
            total += end.get(tp) - start;
        }
        Replay replay = new Replay(route, topic, from, offsets, total);
        Thread t = new Thread(() -> runReplay(c, end, reader, replay), "kafka-first-replay-" + route);
        t.setDaemon(true);
        t.start();
        LOG.info("{}: replaying {} records of {} from {} (offsets per partition {})", route, total, topic, from,
                offsets.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()[0] + "-" + e.getValue()[1]).toList());
        return replay;
    }

    private void runReplay(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end, Reader reader, Replay replay) {
        long applied = 0;
        long t0 = System.nanoTime();
        try (c) {
            while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                List<Stored> batch = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        batch.add(stored(r));
                    }
                }
                if (!batch.isEmpty()) {
                    reader.process(batch); // a failure ends the replay: say so, it can be asked again
                    applied += batch.size();
                }
            }
            LOG.info("{}: replay from {} done: {} records re-applied in {} s", replay.route(), replay.from(), applied,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        } catch (Exception e) {
            LOG.error("{}: replay from {} stopped after {} records: {}", replay.route(), replay.from(), applied, e.toString());
        }
    }

    static Stored stored(ConsumerRecord<String, byte[]> r) {
        String topic = header(r, TOPIC_HEADER);
        String received = header(r, RECEIVED_HEADER);
        return new Stored(topic == null ? r.topic() : topic, r.value() == null ? new byte[0] : r.value(), r.key(),
                received == null ? Instant.ofEpochMilli(r.timestamp()) : Instant.parse(received));
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
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
    private KafkaConsumer<String, byte[]> consumer(String group, int maxRecords) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap());
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // a new group starts at the beginning: the topic holds only what no worker committed yet, or what it retains
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(maxRecords));
        // a batch waits in the sink pipeline for as long as its sink is down: do not take the worker out of its group
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, String.valueOf(TimeUnit.DAYS.toMillis(1)));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    @Override
    public void close() {
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

    /** One route's sink worker: polls its partitions, runs each batch through the route, commits it. */
    private final class Worker {
        private final String route;
        private final String topic;
        private final String group;
        private final int batchSize;
        private final Reader reader;
        private final AtomicLong committed = new AtomicLong();
        private volatile boolean running = true;
        private volatile long lag;
        private volatile double rate;
        private volatile String lastError;
        private KafkaConsumer<String, byte[]> consumer;
        private Thread thread;

        Worker(String route, int batchSize, Reader reader) {
            this.route = route;
            this.topic = topic(route);
            this.group = settings.groupPrefix() + route;
            this.batchSize = batchSize;
            this.reader = reader;
        }

        void start() {
            thread = new Thread(this::run, "kafka-first-worker-" + route);
            thread.setDaemon(true);
            thread.start();
        }

        WorkerStatus status() {
            refresh();
            return new WorkerStatus(route, topic, group, lag, rate, committed.get(), lastError);
        }

        private long refreshedAt = System.nanoTime();
        private long loggedAt;
        private long committedAt;

        /**
         * At most every 2 s: the group's lag (every instance's worker of the route: end offsets minus committed ones,
         * through Kafka's admin client, so it is known while this worker waits for a sink) and this worker's rate.
         */
        private synchronized void refresh() {
            long now = System.nanoTime();
            if (now - refreshedAt < TimeUnit.SECONDS.toNanos(2)) {
                return;
            }
            long done = committed.get();
            rate = (done - committedAt) / ((now - refreshedAt) / 1e9);
            committedAt = done;
            refreshedAt = now;
            try {
                lag = groupLag(topic, group);
            } catch (Exception e) {
                lastError = "lag unknown: " + e.getMessage();
            }
            if (lag > 0 && rate > 0 && now - loggedAt > TimeUnit.SECONDS.toNanos(10)) {
                loggedAt = now;
                LOG.info("{}: sink workers {} records behind, this one catching up at {} records/s", route, lag, Math.round(rate));
            }
        }

        private void run() {
            topics.topic(topic, settings.retentionMs());
            topics.ensure();
            long backoffMs = 200;
            try (KafkaConsumer<String, byte[]> c = consumer(group, batchSize)) {
                consumer = c;
                c.subscribe(List.of(topic));
                LOG.info("{}: sink worker reading {} in consumer group {}", route, topic, group);
                while (running) {
                    ConsumerRecords<String, byte[]> records;
                    try {
                        records = c.poll(Duration.ofMillis(200));
                    } catch (WakeupException e) {
                        break;
                    }
                    if (!records.isEmpty()) {
                        List<Stored> batch = new ArrayList<>(records.count());
                        Map<TopicPartition, Long> first = new HashMap<>();
                        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                        for (ConsumerRecord<String, byte[]> r : records) {
                            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                            first.putIfAbsent(tp, r.offset());
                            next.put(tp, new OffsetAndMetadata(r.offset() + 1));
                            batch.add(stored(r));
                        }
                        try {
                            reader.process(batch);
                            c.commitSync(next);
                            committed.addAndGet(batch.size());
                            lastError = null;
                            backoffMs = 200;
                            refresh(); // lag and catch-up rate, logged every 10 s while behind
                        } catch (Exception e) {
                            if (!running) {
                                break; // stopping: not committed, read again by the next owner
                            }
                            lastError = e.toString();
                            LOG.warn("{}: a stored batch of {} was not completed ({}); reading it again in {} ms", route,
                                    batch.size(), e.getMessage(), backoffMs);
                            first.forEach(c::seek);
                            Thread.sleep(backoffMs);
                            backoffMs = Math.min(backoffMs * 2, 10_000);
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                lastError = e.toString();
                LOG.error("{}: sink worker stopped: {}", route, e.toString());
            }
        }

        void close() {
            running = false;
            KafkaConsumer<String, byte[]> c = consumer;
            if (c != null) {
                c.wakeup();
            }
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
