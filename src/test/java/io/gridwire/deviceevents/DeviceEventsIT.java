package io.gridwire.deviceevents;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Api.Response;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Listener;
import io.gridwire.support.Services;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 000: registry changes publish device events after the commit; the listener keeps mock-real-{id} in step,
 * whatever order or number of times the events arrive. Real Mosquitto and PostgreSQL; gridwire as a process.
 */
@SharedGridwire(SharedGridwire.SIMULATING)
class DeviceEventsIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String NAME = "t-registry-" + UUID.randomUUID().toString().substring(0, 6);

    private static GridwireProcess gridwire;
    private static Api api;

    @BeforeAll
    static void start(GridwireProcess g, Api a) {
        gridwire = g;
        api = a;
    }

    @AfterAll
    static void stop() throws Exception {
        Sinks.removeTestDevices();
    }

    private static JsonNode mock(String realId) {
        Response r = api.get("/api/v1/devices/mock-real-" + realId);
        return r.status() == 200 ? r.json() : null;
    }

    @Test
    void registryChangesDriveTheirMockDevice() throws Exception {
        try (Listener events = new Listener("energy/events/devices/+/+", 1)) {
            Response created = api.post("/api/v1/registry/devices",
                    "{\"name\":\"" + NAME + "\",\"type\":\"industrial\",\"location\":\"Building A - Floor 2\"}");
            assertEquals(201, created.status(), created.toString());
            String id = created.json().get("id").asText();
            String mockId = "mock-real-" + id;

            // the seed 000 event, at QoS 1, after the commit
            await().atMost(SOON).until(() -> events.received().stream().anyMatch(
                    m -> m.topic().equals("energy/events/devices/" + id + "/device.created")));
            Listener.Received event = events.received().stream()
                    .filter(m -> m.topic().endsWith(id + "/device.created")).findFirst().orElseThrow();
            assertEquals(1, event.qos());
            JsonNode payload = new com.fasterxml.jackson.databind.ObjectMapper().readTree(event.payload());
            assertEquals("device.created", payload.get("event_type").asText());
            assertEquals(id, payload.get("device_id").asText());
            assertEquals(NAME, payload.get("device_data").get("name").asText());
            assertEquals("industrial", payload.get("device_data").get("type").asText());
            assertTrue(payload.get("metadata").has("source"));
            Instant.parse(payload.get("timestamp").asText());
            assertTrue(Files.logContains(gridwire, "Published device event: device.created for device " + id));

            // the mock device: seed 000's table for industrial (120 kW, 480 V), publishing within seconds
            await().atMost(SOON).until(() -> mock(id) != null);
            assertEquals(120.0, mock(id).get("base_power").asDouble());
            assertEquals(480.0, mock(id).get("base_voltage").asDouble());
            assertTrue(Files.logContains(gridwire, "Created mock device " + mockId + " for real device: " + id));
            await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", mockId) >= 3);

            // an update with an explicit base power wins over the table
            Response updated = api.put("/api/v1/registry/devices/" + id, "{\"base_power\":60.5,\"location\":\"Roof\"}");
            assertEquals(200, updated.status(), updated.toString());
            await().atMost(SOON).until(() -> mock(id).get("base_power").asDouble() == 60.5);
            assertEquals("Roof", mock(id).get("location").asText());
            await().atMost(SOON).until(() -> Sinks.count(
                    "SELECT count(*) FROM device_readings WHERE device_id = ? AND power BETWEEN 54 AND 67", mockId) >= 2);

            // a delete stops it
            assertEquals(204, api.delete("/api/v1/registry/devices/" + id).status());
            await().atMost(SOON).until(() -> mock(id) == null);
            long after = Quiet.settled("readings of the deleted device", () -> Sinks.count(
                    "SELECT count(*) FROM device_readings WHERE device_id = ?", mockId), Duration.ofMillis(1500));
            Quiet.stays("no readings after the delete", () -> Sinks.count(
                    "SELECT count(*) FROM device_readings WHERE device_id = ?", mockId), after, Duration.ofSeconds(2));
            assertEquals(404, api.get("/api/v1/registry/devices/" + id).status());
            List<String> order = events.received().stream().filter(m -> m.topic().contains(id))
                    .map(m -> m.topic().substring(m.topic().lastIndexOf('/') + 1)).toList();
            assertEquals(List.of("device.created", "device.updated", "device.deleted"), order);
        }
    }

    @Test
    void registryApiValidatesAndAuthenticates() {
        assertEquals(401, api.withToken(null).post("/api/v1/registry/devices", "{\"name\":\"x\",\"type\":\"hvac\"}").status());
        Response noType = api.post("/api/v1/registry/devices", "{\"name\":\"" + NAME + "-x\"}");
        assertEquals(400, noType.status());
        assertTrue(noType.json().get("error").asText().contains("'type'"), noType.toString());
        assertEquals(404, api.get("/api/v1/registry/devices/not-a-uuid").status());
        assertEquals(404, api.get("/api/v1/registry/devices/" + UUID.randomUUID()).status());
        assertEquals(404, api.delete("/api/v1/registry/devices/1'%3BDROP%20TABLE%20devices%3B--").status());
        assertEquals(200, api.get("/api/v1/registry/devices").status());
        String id = UUID.randomUUID().toString();
        assertEquals(201, api.post("/api/v1/registry/devices", "{\"id\":\"" + id + "\",\"name\":\"" + NAME + "-y\",\"type\":\"sensor\"}").status());
        assertEquals(409, api.post("/api/v1/registry/devices", "{\"id\":\"" + id + "\",\"name\":\"" + NAME + "-y\",\"type\":\"sensor\"}").status());
        assertEquals(204, api.delete("/api/v1/registry/devices/" + id).status());
    }

    private static String event(String type, String id, Instant ts, String data) {
        return "{\"event_type\":\"" + type + "\",\"device_id\":\"" + id + "\",\"timestamp\":\"" + ts + "\",\"device_data\":"
               + data + ",\"metadata\":{\"source\":\"data-ingestion-service\"}}";
    }

    @Test
    void eventsTwiceOrOutOfOrderLeaveAConsistentState() throws Exception {
        String id = "t-" + UUID.randomUUID();
        String topic = "energy/events/devices/" + id + "/";
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String data = "{\"id\":\"" + id + "\",\"name\":\"" + NAME + "-ooo\",\"type\":\"sensor\",\"base_power\":null}";
        try (Devices mqtt = new Devices()) {
            // an update before its create creates the device (seed 000 table: sensor 2 kW / 12 V)
            mqtt.publish(topic + "device.updated", event("device.updated", id, t0.plusSeconds(10), data));
            await().atMost(SOON).until(() -> mock(id) != null);
            assertEquals(2.0, mock(id).get("base_power").asDouble());
            assertEquals(12.0, mock(id).get("base_voltage").asDouble());

            // the late create (older) and a duplicate of the update change nothing
            String bigger = "{\"name\":\"" + NAME + "-ooo\",\"type\":\"server\"}";
            mqtt.publish(topic + "device.created", event("device.created", id, t0, bigger));
            mqtt.publish(topic + "device.updated", event("device.updated", id, t0.plusSeconds(10), bigger));
            // a newer update with an unknown type: the documented default (10 kW / 240 V) and a warning
            mqtt.publish(topic + "device.updated", event("device.updated", id, t0.plusSeconds(20),
                    "{\"name\":\"" + NAME + "-ooo\",\"type\":\"teleporter\"}"));
            await().atMost(SOON).until(() -> mock(id).get("base_power").asDouble() == 10.0);
            assertEquals(240.0, mock(id).get("base_voltage").asDouble());
            assertTrue(Files.logContains(gridwire, "Ignored device.created for real device " + id));
            assertTrue(Files.logContains(gridwire, "unknown 'teleporter' type"));

            // delete, then a stale update (older than the delete) does not bring it back
            mqtt.publish(topic + "device.deleted", event("device.deleted", id, t0.plusSeconds(30), "null"));
            await().atMost(SOON).until(() -> mock(id) == null);
            mqtt.publish(topic + "device.updated", event("device.updated", id, t0.plusSeconds(25), data));
            // a delete of a device that never existed is harmless
            String ghost = "t-" + UUID.randomUUID();
            mqtt.publish("energy/events/devices/" + ghost + "/device.deleted", event("device.deleted", ghost, t0, "null"));
            // bad events: dead letters with reasons, and the route goes on
            mqtt.publish(topic + "device.exploded", event("device.exploded", id, t0.plusSeconds(40), data));
            mqtt.publish(topic + "device.updated", "{\"event_type\":\"device.updated\"");
            mqtt.publish("energy/events/devices/other/device.updated", event("device.updated", id, t0.plusSeconds(50), data));
            await().atMost(SOON).until(() -> Sinks.count(
                    "SELECT count(*) FROM dead_letters WHERE route_id = 'device-events-sync' AND payload_text LIKE ?",
                    "%" + id + "%") + Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id = 'device-events-sync' "
                                                  + "AND topic = ? AND reason LIKE 'malformed JSON%'", topic + "device.updated") >= 3);
            await().atMost(SOON).until(() -> Sinks.count(
                    "SELECT count(*) FROM device_event_sync WHERE real_device_id = ?", ghost) == 1);
            assertEquals(null, mock(id), "a stale update does not resurrect a deleted device");
            assertEquals(0, Sinks.count("SELECT count(*) FROM mock_devices WHERE id = ?", "mock-real-" + id));
        }
        List<Map<String, Object>> reasons = Sinks.rows("SELECT reason FROM dead_letters WHERE route_id = 'device-events-sync' "
                                                       + "AND (payload_text LIKE ? OR topic = ?)", "%" + id + "%", topic + "device.updated");
        String all = reasons.toString();
        assertTrue(all.contains("unknown event_type 'device.exploded'"), all);
        assertTrue(all.contains("malformed JSON"), all);
        assertTrue(all.contains("does not match the topic"), all);
    }

    @Test
    void anEventArrivingWhilePostgresqlIsDownWaitsAndIsApplied() throws Exception {
        String id = "t-" + UUID.randomUUID();
        String data = "{\"name\":\"" + NAME + "-pgdown\",\"type\":\"meter\"}";
        try (Devices mqtt = new Devices()) {
            Services.stop("postgresql");
            try {
                mqtt.publish("energy/events/devices/" + id + "/device.created", event("device.created", id, Instant.now(), data));
                // the listener has the event and its batch waits for the database, retrying
                await().atMost(Duration.ofSeconds(60)).until(() -> Files.logContains(gridwire,
                        "device-events: direct:device-events-store unavailable (attempt"));
            } finally {
                Services.start("postgresql");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> mock(id) != null);
        }
        assertEquals(5.0, mock(id).get("base_power").asDouble());
        assertEquals(0, Sinks.count("SELECT count(*) FROM dead_letters WHERE payload_text LIKE ?", "%" + id + "%"),
                "a valid event is not dead-lettered because the database was down");
    }

    /** Reads gridwire's log. */
    static final class Files {
        static boolean logContains(GridwireProcess p, String text) throws java.io.IOException {
            return java.nio.file.Files.readString(p.log()).contains(text);
        }
    }
}
