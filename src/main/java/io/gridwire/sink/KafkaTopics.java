package io.gridwire.sink;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates every Kafka topic gridwire writes when it is missing (energy-readings, device-alerts, device-notifications,
 * the EMS topics of seed 003 with their retention and -dlt topics, ...), so gridwire also works against a Kafka with
 * {@code auto.create.topics.enable=false} (Redpanda's and most managed services' default). Existing topics are left
 * as they are. While Kafka is unreachable or refuses (e.g. no CREATE permission) it keeps trying in the background
 * every 10 s, and {@link #problem} says which topics are missing and why (the Kafka health check reports it, also for
 * a topic deleted after start-up). Partitions and replication factor: as configured, else the broker's defaults.
 */
public class KafkaTopics {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

    private final KafkaClients kafka;
    private final java.util.Optional<Integer> partitions;
    private final java.util.Optional<Short> replication;
    /** Topic name to its retention.ms (null: the broker's default). */
    private final Map<String, Long> retentionMsByTopic = new LinkedHashMap<>();
    private volatile String lastError;

    /**
     * @param kafka       Kafka bootstrap servers and client security
     * @param partitions  partitions of a topic gridwire creates; null: the broker's num.partitions
     * @param replication its replication factor; null: the broker's default.replication.factor
     */
    public KafkaTopics(KafkaClients kafka, Integer partitions, Short replication) {
        this.kafka = kafka;
        this.partitions = java.util.Optional.ofNullable(partitions);
        this.replication = java.util.Optional.ofNullable(replication);
    }

    /**
     * Adds a topic to create when missing.
     *
     * @param name        the topic
     * @param retentionMs its retention.ms in ms, or null for the broker's default
     * @return this
     */
    public synchronized KafkaTopics topic(String name, Long retentionMs) {
        retentionMsByTopic.put(name, retentionMs);
        return this;
    }

    /** The bootstrap servers and security its admin client uses. */
    public KafkaClients kafka() {
        return kafka;
    }

    /** The topics added so far, in the order added. */
    public synchronized java.util.List<String> names() {
        return java.util.List.copyOf(retentionMsByTopic.keySet());
    }

    /** Tries once now (a few seconds at most), then in the background until every topic exists. */
    public void ensure() {
        lastError = "not created yet";
        if (tryCreate()) {
            return;
        }
        Thread t = new Thread(() -> {
            while (!tryCreate()) {
                try {
                    TimeUnit.SECONDS.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "kafka-topics");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Lists the topics through {@code admin} (the health check's client).
     *
     * @return null when every topic gridwire writes exists, else which are missing and the last reason they could not
     *         be created
     * @throws Exception when Kafka cannot list its topics within 3 s
     */
    public String problem(Admin admin) throws Exception {
        Set<String> existing = admin.listTopics().names().get(3, TimeUnit.SECONDS);
        Set<String> missing = new TreeSet<>();
        synchronized (this) {
            for (String t : retentionMsByTopic.keySet()) {
                if (!existing.contains(t)) {
                    missing.add(t);
                }
            }
        }
        String why = lastError;
        return missing.isEmpty() ? null : "Kafka topic(s) " + String.join(", ", missing) + " missing"
                                          + (why == null ? " (deleted after start-up?)" : ": " + why);
    }

    private synchronized boolean tryCreate() {
        try (Admin admin = Admin.create(kafka.config(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000))) {
            Set<String> existing = admin.listTopics().names().get(8, TimeUnit.SECONDS);
            List<NewTopic> create = new ArrayList<>();
            for (var e : retentionMsByTopic.entrySet()) {
                if (!existing.contains(e.getKey())) {
                    NewTopic t = new NewTopic(e.getKey(), partitions, replication);
                    create.add(e.getValue() == null ? t : t.configs(Map.of("retention.ms", String.valueOf(e.getValue()))));
                }
            }
            for (NewTopic t : create) {
                try {
                    admin.createTopics(List.of(t)).all().get(8, TimeUnit.SECONDS);
                    LOG.info("Created Kafka topic {} ({} partitions, replication {}, retention.ms {})", t.name(),
                            partitions.map(String::valueOf).orElse("broker default"),
                            replication.map(String::valueOf).orElse("broker default"),
                            t.configs() == null ? "broker default" : t.configs().get("retention.ms"));
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw e; // created meanwhile by someone else is fine: left as it is
                    }
                }
            }
            lastError = null;
            return true;
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            lastError = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
            LOG.warn("Cannot check or create the Kafka topics {} yet ({}); retrying every 10 s", retentionMsByTopic.keySet(),
                    lastError);
            return false;
        }
    }
}
