package io.gridwire;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Paced;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three gridwire instances on one machine in one MQTT shared subscription group and one leader election (issue 17),
 * against the real broker, PostgreSQL, Kafka and TSDB: a member killed mid-stream and restarted loses and duplicates
 * nothing, a leader killed is replaced within seconds with still one simulator round per interval, and a member
 * stopped with SIGTERM drains and leaves no session on the broker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final String GROUP = "t-cluster-" + java.util.UUID.randomUUID().toString().substring(0, 6);
    private static final Duration LANDING = Duration.ofSeconds(180);
    /** The simulator's round, ms: short, so a failover shows as missing rounds. */
    private static final int ROUND_MS = 1000;
    private static final List<GridwireProcess> MEMBERS = new ArrayList<>();
    private static Devices devices;
    private static KafkaReader kafka;

    @BeforeAll
    static void start() throws Exception {
        for (String name : List.of("c1", "c2", "c3")) {
            // the simulator on (only the leader runs its rounds), without random failures
            MEMBERS.add(GridwireProcess.member(GROUP, name, Map.of("SIMULATOR_ENABLED", "true",
                    "SIMULATOR_INTERVAL", String.valueOf(ROUND_MS), "SIMULATOR_FAILURERATE", "0",
                    "CLUSTER_CHECKINTERVALMS", "2000")).start());
        }
        devices = new Devices();
        kafka = new KafkaReader("energy-readings");
    }

    @AfterAll
    static void stop() throws Exception {
        for (GridwireProcess m : MEMBERS) {
            m.stop();
        }
        if (devices != null) {
            devices.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        Sinks.removeTestDevices();
    }

    @Test
    @Order(1)
    void oneLeaderAndEveryMemberSeesIt() {
        String leader = leader();
        for (GridwireProcess m : MEMBERS) {
            // members and leader as of each instance's last check (every second here)
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                var check = new Api(m.httpPort()).healthCheck("cluster");
                assertEquals("UP", check.path("status").asText(), check.toString());
                assertEquals(leader, check.path("data").path("leader").asText(), check.toString());
                assertEquals("c1,c2,c3", check.path("data").path("members").asText(), check.toString());
            });
        }
    }

    @Test
    @Order(2)
    void aMemberKilledMidStreamAndRestartedLosesAndDuplicatesNothing() throws Exception {
        String prefix = Devices.uniquePrefix("cluster-kill");
        GridwireProcess victim = follower();
        CurrentStateWatch watch = new CurrentStateWatch(prefix);
        java.util.concurrent.ScheduledExecutorService later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        java.util.concurrent.Future<?> restart = null;
        int devicesN = 300;
        int rounds = 100;
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(2, ChronoUnit.HOURS);
        long started = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            for (int d = 0; d < devicesN; d++) {
                devices.publishReading(prefix + d, t0.plusSeconds(r), 10 + r, 230, 0.04 + d / 1000.0, r);
            }
            if (r == rounds / 3) {
                victim.kill();
                System.err.println("killed " + victim.name() + " (SIGKILL) after " + (r + 1) * devicesN + " readings");
                // restarted 3 s later, as an orchestrator would
                restart = later.schedule(() -> {
                    victim.start();
                    System.err.println("restarted " + victim.name());
                    return null;
                }, 3, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        double publishS = (System.nanoTime() - started) / 1e9;
        int total = devicesN * rounds;
        await().atMost(LANDING).pollInterval(Duration.ofSeconds(1)).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") >= total);
        double landedS = (System.nanoTime() - started) / 1e9;
        restart.get(120, java.util.concurrent.TimeUnit.SECONDS);
        later.shutdown();
        watch.close();
        System.err.printf("cluster kill: %d readings published in %.1f s, all in PostgreSQL after %.1f s%n", total, publishS, landedS);
        assertEquals(total, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%"));
        await().atMost(LANDING).until(() -> tsdbCount(prefix) >= total);
        assertEquals(total, tsdbCount(prefix));
        // Kafka: every reading, a redelivered one only again under the same gridwire_message_id
        await().atMost(LANDING).until(() -> messageIds(prefix).size() >= total);
        Map<String, Set<String>> idsByReading = new HashMap<>();
        for (ConsumerRecord<String, String> r : kafka.records(prefix)) {
            String id = KafkaReader.headers(r).get("gridwire_message_id");
            idsByReading.computeIfAbsent(id.substring(0, id.indexOf('#')), k -> new HashSet<>()).add(id);
        }
        assertEquals(total, idsByReading.size(), "readings in Kafka");
        assertTrue(idsByReading.values().stream().allMatch(s -> s.size() == 1), "one message id per reading");
        System.err.printf("cluster kill: %d Kafka records for %d readings (the rest redelivered copies)%n",
                kafka.records(prefix).size(), total);
        // the current state only ever moved forward, and ends at each device's newest reading
        assertEquals(List.of(), watch.regressions, "device_current_state went back");
        Instant last = t0.plusSeconds(rounds - 1);
        assertEquals(devicesN, Sinks.count("SELECT count(*) FROM device_current_state WHERE device_id LIKE ? AND \"timestamp\" = ?",
                prefix + "%", Timestamp.from(last)));
        assertEquals(0, Sinks.count("SELECT count(*) FROM dead_letters WHERE payload_text LIKE ?", "%" + prefix + "%"));
        // the restarted member got what its session was given while it was away (the stream had ended before it was up)
        String committed = victim.get("/observe/metrics").lines().filter(l -> l.startsWith("gridwire_ingest_messages_total")
                && l.contains("energy-telemetry-ingest") && l.contains("committed")).findFirst().orElse("none 0");
        double after = Double.parseDouble(committed.substring(committed.lastIndexOf(' ') + 1));
        System.err.printf("cluster kill: the restarted %s committed %.0f readings its session had queued%n", victim.name(), after);
        assertTrue(after > 0, "the killed member's session held readings for it: " + committed);
    }

    @Test
    @Order(3)
    void leaderKilledIsReplacedWithOneSimulatorRoundPerInterval() throws Exception {
        String device = "t-cluster-round-" + GROUP;
        GridwireProcess leader = MEMBERS.stream().filter(m -> m.name().equals(leader())).findFirst().orElseThrow();
        GridwireProcess other = MEMBERS.stream().filter(m -> m != leader).findFirst().orElseThrow();
        // created through a follower: the leader takes it from PostgreSQL at its next round
        Api.Response created = new Api(other.httpPort()).withToken(Api.TOKEN).post("/api/v1/devices",
                "{\"id\":\"" + device + "\",\"name\":\"round counter\",\"type\":\"lighting\"}");
        assertEquals(201, created.status(), created.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> readings(device).size() >= 5);
        Map<GridwireProcess, Long> logAt = new java.util.HashMap<>();
        for (GridwireProcess m : MEMBERS) {
            logAt.put(m, java.nio.file.Files.size(m.log()));
        }
        Instant killedAt = Instant.now();
        leader.kill();
        long killed = System.nanoTime();
        // restarted at once, as a StatefulSet or compose would: until it is back, the broker queues its share of the
        // group's messages (the simulator's readings too) in its session
        Thread restart = new Thread(() -> {
            try {
                leader.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        restart.start();
        // failover: a follower leads and runs its first round (it logs taking the fleet over there)
        GridwireProcess[] next = new GridwireProcess[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (GridwireProcess m : MEMBERS) {
                if (m != leader && java.nio.file.Files.readString(m.log()).substring(logAt.get(m).intValue())
                        .contains("Simulation taken over as leader")) {
                    next[0] = m;
                    return true;
                }
            }
            return false;
        });
        double failoverS = (System.nanoTime() - killed) / 1e9;
        String newLeader = next[0].name();
        restart.join(120_000);
        // rounds since, the killed member's share included once it was back
        await().atMost(Duration.ofSeconds(30)).until(() -> readings(device).stream().filter(t -> t.isAfter(killedAt)).count() >= 3);
        List<Instant> ts = readings(device);
        long after = ts.stream().filter(t -> t.isAfter(killedAt)).count();
        System.err.printf("cluster failover: leader %s killed, %s led and ran its first round after %.1f s; %d rounds of the "
                          + "device landed since%n", leader.name(), newLeader, failoverS, after);
        assertTrue(failoverS < 30, "failover within 30 s: " + failoverS);
        assertTrue(after >= 3, "rounds after the failover: " + ts);
        assertOneRoundPerInterval(ts);
        // the restarted member follows again
        await().atMost(Duration.ofSeconds(30)).until(() -> newLeader.equals(leaderOf(leader)));
        // energy never went back across the change of leader
        List<Map<String, Object>> energy = Sinks.rows("SELECT energy FROM device_readings WHERE device_id = ? ORDER BY \"timestamp\"", device);
        for (int i = 1; i < energy.size(); i++) {
            assertTrue((Double) energy.get(i).get("energy") >= (Double) energy.get(i - 1).get("energy"), "energy went back: " + energy);
        }
        new Api(other.httpPort()).withToken(Api.TOKEN).delete("/api/v1/devices/" + device);
    }

    @Test
    @Order(5)
    void aMemberStoppedWithSigtermDrainsAndLeavesNoSession() throws Exception {
        String prefix = Devices.uniquePrefix("cluster-down");
        GridwireProcess leaving = follower();
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(3, ChronoUnit.HOURS);
        AtomicBoolean stopped = new AtomicBoolean();
        int[] exit = new int[1];
        // about 20 s of readings (100 every 200 ms): the member stops (every family's route drains in turn) while they flow
        int rounds = 100;
        int expected = rounds * 100;
        try (Paced stream = Paced.start(rounds, Duration.ofMillis(200), r -> {
            for (int d = 0; d < 100; d++) {
                devices.publishReading(prefix + d, t0.plusSeconds(r), 5, 231, 0.02, r);
            }
        })) {
            await().atMost(Duration.ofSeconds(30)).until(() -> stream.done() >= 6);
            exit[0] = leaving.stop();
            stopped.set(true);
            stream.awaitDone(Duration.ofSeconds(60));
        }
        assertTrue(stopped.get());
        assertTrue(exit[0] == 0 || exit[0] == 143, "exit code of a graceful stop: " + exit[0]);
        String log = java.nio.file.Files.readString(leaving.log(), StandardCharsets.UTF_8);
        assertTrue(log.contains("energy-telemetry-ingest: left shared group " + GROUP), "drain logged");
        java.util.regex.Matcher drained = java.util.regex.Pattern.compile("energy-telemetry-ingest: left shared group \\S+ \\(unsubscribed\\); "
                + "drained (\\d+) messages in (\\d+) ms, all acked").matcher(log);
        assertTrue(drained.find(), "energy drained with everything acked: " + log.lines().filter(l -> l.contains("left shared group")).toList());
        System.err.printf("cluster scale-down: %s drained %s readings in %s ms after its unsubscribe, exit code %d%n", leaving.name(),
                drained.group(1), drained.group(2), exit[0]);
        await().atMost(LANDING).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") >= expected);
        assertEquals(expected, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%"));
        // the broker keeps no session of the stopped member: connecting with its ids finds none
        for (String purpose : List.of("-energy", "-events", "-autocore", "-sites")) {
            String id = "gridwire-test-" + GROUP + "-" + leaving.name() + purpose;
            assertFalse(sessionPresent(id), "the broker still holds a session for " + id);
        }
        leaving.start();
    }

    @Test
    @Order(4)
    void leaderWhoseSessionPostgresDropsStepsDown() throws Exception {
        String device = "t-cluster-session-" + GROUP;
        String leader = leader();
        GridwireProcess leading = MEMBERS.stream().filter(m -> m.name().equals(leader)).findFirst().orElseThrow();
        GridwireProcess other = MEMBERS.stream().filter(m -> m != leading).findFirst().orElseThrow();
        assertEquals(201, new Api(other.httpPort()).withToken(Api.TOKEN).post("/api/v1/devices",
                "{\"id\":\"" + device + "\",\"name\":\"round counter\",\"type\":\"lighting\"}").status());
        await().atMost(Duration.ofSeconds(30)).until(() -> readings(device).size() >= 3);
        long logAt = java.nio.file.Files.size(leading.log());
        Instant cutAt = Instant.now();
        // PostgreSQL ends the leader's election session (a restart, a failover, an administrator would): its lock is gone
        assertEquals(1, Sinks.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
                "gridwire-cluster/" + leader).size());
        await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.readString(leading.log()).substring((int) logAt)
                .contains("no longer leads gridwire"));
        await().atMost(Duration.ofSeconds(30)).until(() -> !leaderOf(other).isEmpty() && !"null".equals(leaderOf(other)));
        // rounds under the new leader
        await().atMost(Duration.ofSeconds(30)).until(() -> readings(device).stream().filter(t -> t.isAfter(cutAt)).count() >= 5);
        System.err.printf("cluster session lost: %s stepped down, %s leads%n", leader, leaderOf(other));
        assertOneRoundPerInterval(readings(device));
        new Api(other.httpPort()).withToken(Api.TOKEN).delete("/api/v1/devices/" + device);
    }

    /**
     * One simulator round per interval: no two readings of a device within half a round, and no more readings than
     * intervals in their span.
     */
    private static void assertOneRoundPerInterval(List<Instant> ts) {
        for (int i = 1; i < ts.size(); i++) {
            long gapMs = Duration.between(ts.get(i - 1), ts.get(i)).toMillis();
            assertTrue(gapMs >= ROUND_MS / 2, "two rounds at once (" + gapMs + " ms apart) at " + ts.get(i) + ": " + ts);
        }
        long spanMs = Duration.between(ts.get(0), ts.get(ts.size() - 1)).toMillis();
        assertTrue(ts.size() <= spanMs / ROUND_MS + 2, ts.size() + " readings in " + spanMs + " ms: " + ts);
    }

    private static boolean sessionPresent(String clientId) throws Exception {
        MqttClient c = new MqttClient("tcp://" + Sinks.env("MQTT_BROKER_HOST", "localhost") + ":" + Sinks.env("MQTT_BROKER_PORT", "1883"),
                clientId, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(Sinks.env("MQTT_USERNAME", "gridwire"));
        o.setPassword(Sinks.env("MQTT_PASSWORD", "gridwire-dev").getBytes(StandardCharsets.UTF_8));
        o.setCleanStart(false);
        o.setSessionExpiryInterval(0L);
        IMqttToken t = c.connectWithResult(o);
        c.disconnectForcibly(0, 1000, true);
        c.close();
        return t.getSessionPresent();
    }

    private static long tsdbCount(String prefix) {
        var rows = Sinks.points("select count(*) n from energy_readings where device_id like '" + prefix + "%'");
        return rows.isEmpty() ? 0 : rows.get(0).get("n").asLong();
    }

    private static Set<String> messageIds(String prefix) {
        Set<String> ids = new HashSet<>();
        kafka.records(prefix).forEach(r -> ids.add(KafkaReader.headers(r).get("gridwire_message_id")));
        return ids;
    }

    private static List<Instant> readings(String device) {
        return Sinks.rows("SELECT \"timestamp\" FROM device_readings WHERE device_id = ? ORDER BY 1", device).stream()
                .map(r -> ((Timestamp) r.get("timestamp")).toInstant()).toList();
    }

    /** The leader's id as the first running member's cluster health check names it. */
    private static String leader() {
        return leaderOf(MEMBERS.stream().filter(GridwireProcess::running).findFirst().orElseThrow());
    }

    private static String leaderOf(GridwireProcess member) {
        return new Api(member.httpPort()).healthCheck("cluster").path("data").path("leader").asText();
    }

    private static GridwireProcess follower() {
        String leader = leader();
        return MEMBERS.stream().filter(m -> !m.name().equals(leader)).findFirst().orElseThrow();
    }

    /** Polls device_current_state and records any device whose timestamp went back. */
    private static final class CurrentStateWatch implements AutoCloseable {
        final List<String> regressions = new ArrayList<>();
        private final Map<String, Instant> seen = new ConcurrentHashMap<>();
        private final java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

        CurrentStateWatch(String prefix) {
            sampler.scheduleWithFixedDelay(() -> {
                for (Map<String, Object> r : Sinks.rows("SELECT device_id, \"timestamp\" FROM device_current_state WHERE device_id LIKE ?",
                        prefix + "%")) {
                    String id = (String) r.get("device_id");
                    Instant t = ((Timestamp) r.get("timestamp")).toInstant();
                    Instant before = seen.put(id, t);
                    if (before != null && t.isBefore(before)) {
                        synchronized (regressions) {
                            regressions.add(id + ": " + before + " -> " + t);
                        }
                    }
                }
            }, 0, 250, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            sampler.shutdown();
            sampler.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
