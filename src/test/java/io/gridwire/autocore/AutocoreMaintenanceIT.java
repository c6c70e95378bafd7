package io.gridwire.autocore;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

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
 * AutoCore timers and policies with short settings: retention (1 day, every second), offline after 3 s of silence,
 * unknown devices dead-lettered. Real broker and database.
 */
class AutocoreMaintenanceIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static GridwireProcess gridwire;
    private static Devices mqtt;

    @BeforeAll
    static void start() throws Exception {
        gridwire = new GridwireProcess("autocore-maintenance", Map.of("AUTOCORE_RETENTION_DAYS", "1",
                "AUTOCORE_RETENTION_INTERVALMS", "1000", "AUTOCORE_RETENTION_BATCHSIZE", "7",
                "AUTOCORE_OFFLINE_AFTERSECONDS", "3", "AUTOCORE_OFFLINE_CHECKINTERVALMS", "1000",
                "AUTOCORE_UNKNOWNDEVICES", "dead-letter")).start();
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
    }

    private static String device(String name) {
        return "ESP32_" + name + "_" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void retentionDeletesOnlyOldRowsInBatches() {
        String id = device("retention");
        // 20 rows two days old (more than a batch of 7), 5 rows from the last hour
        Sinks.rows("INSERT INTO autocore.telemetry (device_id, ts, fields) SELECT ?, now() - interval '2 days' - g * "
                   + "interval '1 minute', '{\"t\": 1}' FROM generate_series(1, 20) g RETURNING 1", id);
        Sinks.rows("INSERT INTO autocore.relay_state_history (device_id, relay_index, ts, state) SELECT ?, 0, now() - "
                   + "interval '3 days' - g * interval '1 minute', true FROM generate_series(1, 9) g RETURNING 1", id);
        Sinks.rows("INSERT INTO autocore.telemetry (device_id, ts, fields) SELECT ?, now() - g * interval '1 minute', "
                   + "'{\"t\": 2}' FROM generate_series(1, 5) g RETURNING 1", id);
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id) == 5
                                         && Sinks.count("SELECT count(*) FROM autocore.relay_state_history WHERE device_id = ?", id) == 0);
        assertEquals(0, Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ? AND ts < now() - interval '1 day'", id));
    }

    @Test
    void aSilentDeviceGoesOfflineAndComesBack() throws Exception {
        String id = device("silent");
        mqtt.publish("autocore/" + id + "/status", "{\"status\":\"online\",\"ip_address\":\"10.0.0.7\"}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.devices WHERE device_id = ? AND is_online", id) == 1);
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.devices WHERE device_id = ? AND NOT is_online", id) == 1);
        assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.connectivity_history WHERE device_id = ? AND NOT is_online "
                                    + "AND reason LIKE 'no message for 3 s'", id));
        mqtt.publish("autocore/" + id + "/telemetry", "{\"temperature\":20}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.connectivity_history WHERE device_id = ? "
                                                      + "AND is_online AND reason = 'message received'", id) == 1);
    }

    @Test
    void unknownDevicesAreDeadLetteredWhenConfiguredSo() throws Exception {
        String id = device("stranger");
        mqtt.publish("autocore/" + id + "/telemetry", "{\"temperature\":20}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id = 'autocore-ingest' "
                                                      + "AND topic = ?", "autocore/" + id + "/telemetry") == 1);
        assertTrue(((String) Sinks.rows("SELECT reason FROM dead_letters WHERE topic = ?", "autocore/" + id + "/telemetry")
                .get(0).get("reason")).contains("unknown AutoCore device"));
        // a status announces the device; its telemetry is then accepted
        mqtt.publish("autocore/" + id + "/status", "{\"status\":\"online\"}");
        mqtt.publish("autocore/" + id + "/telemetry", "{\"temperature\":21}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id) == 1);
    }
}
