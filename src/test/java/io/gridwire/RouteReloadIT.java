package io.gridwire;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routes a user edits: a copy of the packaged energy.camel.yaml in ROUTES_DIR replaces the packaged routes by
 * id; with reload on, remapping its topic takes effect without a restart (the new topic lands, the old one is no
 * longer consumed) - also when the remap moves the device id to another level, which is named where the topic is
 * written; a broken save is logged and the routes loaded before keep running.
 */
class RouteReloadIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    /** The device id moves from the third level to the fifth: the one edit says so. */
    private static final String NEW_PATTERN = "energy/plants/plant7/meters/{deviceId}/reading";
    private static Path dir;
    private static Path file;
    private static GridwireProcess gridwire;
    private static Devices mqtt;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("gridwire-routes");
        file = dir.resolve("energy.camel.yaml");
        Files.copy(Path.of("src", "main", "resources", "routes", "energy.camel.yaml"), file);
        gridwire = new GridwireProcess("reload", Map.of("ROUTES_DIR", dir.toString(), "ROUTES_RELOAD", "true")).start();
        mqtt = new Devices();
    }

    @AfterAll
    static void stop() throws Exception {
        if (mqtt != null) {
            mqtt.close();
        }
        if (gridwire != null) {
            gridwire.stop();
        }
        Sinks.removeTestDevices();
    }

    private static long rows(String device) {
        return Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", device);
    }

    private static String log() throws Exception {
        return Files.readString(gridwire.log());
    }

    @Test
    void remappingATopicAtRunTimeMovesTheSubscription() throws Exception {
        String run = Long.toString(System.nanoTime(), 36);
        Instant ts = Instant.now().minusSeconds(30);
        assertTrue(log().contains("replacing 3 packaged entries: route:energy-telemetry-ingest, route:energy-telemetry-store, "
                + "route:energy-telemetry-publish"), "the directory's copy replaced the packaged routes by id");

        String before = "reload-before-" + run;
        mqtt.publishReading(before, ts, 10, 230, 0.04, 1);
        await().atMost(SOON).until(() -> rows(before) == 1);

        // remap the family: the user edits the topic in the YAML file and saves it
        long saved = System.nanoTime();
        Files.writeString(file, Files.readString(file).replace("mqtt-ingest:{{mqtt.topics.energyData}}", "mqtt-ingest:" + NEW_PATTERN));
        await("the reload and the new subscription").atMost(SOON)
                .until(() -> log().contains("subscribed to energy/plants/plant7/meters/+/reading (QoS 1)"));
        // the payload names no device: it can only come from the level the pattern names
        String remapped = "reload-new-" + run;
        mqtt.publish("energy/plants/plant7/meters/" + remapped + "/reading",
                Devices.reading(remapped, ts, 11, 230, 0.05, 2).replace("\"device_id\":\"" + remapped + "\",", ""));
        await().atMost(SOON).until(() -> rows(remapped) == 1);
        assertEquals(0, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id IN ('plants', 'meters', 'plant7') "
                                    + "AND \"timestamp\" = ?", java.sql.Timestamp.from(ts)), "no reading under another level");
        System.out.printf("route reload: topic remapped, first message on the new topic landed %.1f s after the save%n",
                (System.nanoTime() - saved) / 1e9);

        // the old topic is no longer consumed: nothing lands, nothing is dead-lettered
        String old = "reload-old-" + run;
        mqtt.publishReading(old, ts, 12, 230, 0.05, 3);
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7))
                .until(() -> rows(old) == 0 && Sinks.count("SELECT count(*) FROM dead_letters WHERE topic LIKE ?",
                        "%" + old + "%") == 0);

        // a broken save: logged with the file, the routes loaded before keep running
        String good = Files.readString(file);
        String broken = good + "\n- route:\n    id: broken\n    from:\n      uri: timer:x\n      steps:\n        - log: [unclosed\n";
        Files.writeString(file, broken);
        int line = java.util.Arrays.asList(broken.split("\n", -1)).indexOf("        - log: [unclosed") + 1;
        await().atMost(SOON).until(() -> log().contains("Error reloading routes from file: " + file));
        String after = "reload-after-error-" + run;
        mqtt.publish("energy/plants/plant7/meters/" + after + "/reading", Devices.reading(after, ts, 13, 230, 0.06, 4));
        await().atMost(SOON).until(() -> rows(after) == 1);
        assertTrue(log().contains(file + ", line " + line + ", column"), "the YAML error's file and line are in the log");
    }
}
