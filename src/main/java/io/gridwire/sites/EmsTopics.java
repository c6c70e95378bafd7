package io.gridwire.sites;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the EMS Kafka topics when they are missing, with seed 003's retention (device-telemetry 7 days,
 * device-status 30 days; their -dlt topics likewise) and the configured partitions. Existing topics are left as
 * they are. While Kafka is unreachable it keeps trying in the background.
 */
public class EmsTopics {

    private static final Logger LOG = LoggerFactory.getLogger(EmsTopics.class);

    private final String bootstrap;
    private final Map<String, Long> retentionMsByTopic;
    private final int partitions;
    private final short replication;

    public EmsTopics(String bootstrap, Map<String, Long> retentionMsByTopic, int partitions, short replication) {
        this.bootstrap = bootstrap;
        this.retentionMsByTopic = retentionMsByTopic;
        this.partitions = partitions;
        this.replication = replication;
    }

    /** Tries once now (a few seconds at most), then in the background until it succeeded. */
    public void ensure() {
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
        }, "ems-topics");
        t.setDaemon(true);
        t.start();
    }

    private boolean tryCreate() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000))) {
            Set<String> existing = admin.listTopics().names().get(8, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (var e : retentionMsByTopic.entrySet()) {
                if (!existing.contains(e.getKey())) {
                    missing.add(new NewTopic(e.getKey(), partitions, replication)
                            .configs(Map.of("retention.ms", String.valueOf(e.getValue()))));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(8, TimeUnit.SECONDS);
                for (NewTopic t : missing) {
                    LOG.info("Created Kafka topic {} ({} partitions, retention.ms {})", t.name(), partitions,
                            t.configs().get("retention.ms"));
                }
            }
            return true;
        } catch (Exception e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
                return true; // created meanwhile by someone else: left as it is
            }
            LOG.warn("Cannot check or create the EMS Kafka topics yet ({}); retrying every 10 s", e.getMessage());
            return false;
        }
    }
}
