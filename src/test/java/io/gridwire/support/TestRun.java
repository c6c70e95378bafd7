package io.gridwire.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one run of the end-to-end tier owns, so it passes on any machine where gridwire ran before: its own PostgreSQL
 * database {@code gridwire_it_<yyyyMMdd_HHmm>_<random>}, created on first use through scripts/services.sh and dropped
 * when the test JVM exits (databases of runs older than a day that died before dropping theirs go too), and the
 * gridwire processes shared by the classes that run gridwire with the same configuration, started once and stopped
 * (SIGTERM, graceful) at the end of the run.
 *
 * <p>Off for the benchmarks and for a run given DB_URL: then the tests use that database (default the dev one).
 */
public final class TestRun {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd_HHmm");
    /** This run's id: its database, MQTT client ids and Kafka consumer groups carry it. */
    public static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String BASE_URL = Sinks.env("DB_URL", "jdbc:postgresql://localhost:5432/gridwire");
    private static volatile String databaseUrl;
    private static GridwireProcess shared;
    /** The run's database, dropped at exit (null: none was made). */
    private static volatile String database;
    private static boolean hookAdded;

    private TestRun() {
    }

    /** The JDBC URL the tests and every gridwire they start use. */
    public static synchronized String databaseUrl() {
        if (databaseUrl != null) {
            return databaseUrl;
        }
        if (!Boolean.getBoolean("gridwire.it.ownDatabase") || System.getenv("DB_URL") != null) {
            return databaseUrl = BASE_URL;
        }
        pruneOldDatabases();
        String name = "gridwire_it_" + LocalDateTime.now().format(STAMP) + "_" + RUN;
        services("create", name);
        database = name;
        analyticsGroupAtTheEnd();
        stopAtExit();
        databaseUrl = BASE_URL.substring(0, BASE_URL.lastIndexOf('/') + 1) + name;
        System.out.println("end-to-end run database: " + databaseUrl);
        return databaseUrl;
    }

    /**
     * The run's gridwire of the configuration the class names with {@link SharedGridwire}: started on first use (and
     * again if a test stopped it), kept for the next class of that configuration, stopped when a class needs another
     * one (only one gridwire runs at a time) and at the end of the run.
     */
    public static GridwireProcess sharedGridwire(Class<?> testClass) throws Exception {
        SharedGridwire config = testClass.getAnnotation(SharedGridwire.class);
        if (config == null) {
            throw new IllegalArgumentException(testClass.getSimpleName() + " is not annotated @SharedGridwire");
        }
        Map<String, String> overrides = switch (config.value()) {
            case SharedGridwire.DEFAULT -> Map.of();
            case SharedGridwire.SIMULATING -> Map.of("SIMULATOR_ENABLED", "true", "SIMULATOR_INTERVAL", "500",
                    "SIMULATOR_FAILURERATE", "0");
            default -> throw new IllegalArgumentException("unknown shared configuration " + config.value());
        };
        synchronized (TestRun.class) {
            // another configuration's process is stopped by this one's start (one gridwire at a time)
            if (shared == null || !shared.name().equals("shared-" + config.value())) {
                shared = new GridwireProcess("shared-" + config.value(), overrides);
            }
            if (!shared.running()) {
                shared.start();
            }
            return shared;
        }
    }

    /**
     * Registers, once, what the test JVM does when it exits: stop every gridwire still running (gracefully, so the
     * broker keeps no half-acknowledged session), then drop the run's database.
     */
    static synchronized void stopAtExit() {
        if (hookAdded) {
            return;
        }
        hookAdded = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            GridwireProcess.stopAll();
            String name = database;
            if (name != null) {
                deleteAnalyticsGroup();
                try {
                    services("drop", name);
                } catch (RuntimeException e) {
                    System.err.println("could not drop test database " + name + ": " + e.getMessage());
                }
            }
        }, "end-of-test-run"));
    }


    private static boolean servicesStarted;

    /**
     * The local services are up: scripts/services.sh start, once per run (it returns at once for those running), so a
     * single class runs from the IDE or with -Dit.test as in the whole suite.
     */
    static synchronized void servicesUp() throws Exception {
        if (!servicesStarted) {
            Services.startAll();
            servicesStarted = true;
        }
    }

    /** Whether this run made its own database (and analytics consumer group): the end-to-end tier, not the benchmark. */
    public static boolean ownsDatabase() {
        return database != null;
    }

    /** The run's consumer group of the EMS analytics (gridwire's default group is shared by every gridwire here). */
    public static String analyticsGroup() {
        return "gridwire-analytics-it-" + RUN;
    }

    /**
     * Creates the run's analytics consumer group positioned at the end of device-telemetry (which holds days of records
     * of earlier runs): the run's gridwires read only what the run sends, and nothing a dev instance on the machine
     * consumes in the default group is taken from the run.
     */
    private static void analyticsGroupAtTheEnd() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Sinks.KAFKA))) {
            String topic = "device-telemetry";
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> at = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, o) -> at.put(tp, new OffsetAndMetadata(o.offset())));
            admin.alterConsumerGroupOffsets(analyticsGroup(), at).all().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // no device-telemetry topic yet (a fresh machine): gridwire creates it, and there is no history to skip
            System.out.println("analytics group " + analyticsGroup() + " starts with the topic: " + e.getCause().getMessage());
        } catch (Exception e) {
            throw new IllegalStateException("cannot position the run's analytics consumer group: " + e.getMessage(), e);
        }
    }

    private static void deleteAnalyticsGroup() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Sinks.KAFKA))) {
            admin.deleteConsumerGroups(List.of(analyticsGroup())).all().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("could not delete consumer group " + analyticsGroup() + ": " + e.getMessage());
        }
    }

    /** Drops run databases whose name says they are older than a day (their run died before dropping them). */
    private static void pruneOldDatabases() {
        String dayAgo = "gridwire_it_" + LocalDateTime.now().minusDays(1).format(STAMP);
        List<String> old = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(BASE_URL, Sinks.DB_USER, Sinks.DB_PASSWORD);
             ResultSet rs = c.createStatement().executeQuery("SELECT datname FROM pg_database WHERE datname LIKE 'gridwire\\_it\\_%'")) {
            while (rs.next()) {
                if (rs.getString(1).compareTo(dayAgo) < 0) {
                    old.add(rs.getString(1));
                }
            }
        } catch (Exception e) {
            System.err.println("could not list old test databases: " + e.getMessage());
        }
        old.forEach(name -> services("drop", name));
    }

    private static void services(String action, String name) {
        try {
            Process p = new ProcessBuilder("bash", "scripts/services.sh", "database", action, name)
                    .directory(GridwireProcess.repoRoot()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("services.sh database " + action + " " + name + " failed: " + out);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
