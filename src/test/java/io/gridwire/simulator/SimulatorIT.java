package io.gridwire.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Api.Response;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Listener;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 001 mock devices through gridwire's real REST API and MQTT, with the simulator running (a reading every
 * 500 ms) and its readings landing, through gridwire's own ingest, in the real PostgreSQL.
 */
@SharedGridwire(SharedGridwire.SIMULATING)
class SimulatorIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String PREFIX = "t-mock-" + UUID.randomUUID().toString().substring(0, 6) + "-";

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

    private static String create(String suffix, String type, double power) {
        String id = PREFIX + suffix;
        Response r = api.post("/api/v1/devices", "{\"id\":\"" + id + "\",\"name\":\"Test " + suffix + "\",\"type\":\"" + type
                                                 + "\",\"location\":\"Lab\",\"base_power\":" + power + "}");
        assertEquals(201, r.status(), r.toString());
        return id;
    }

    private static long readingsOf(String id) {
        return Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", id);
    }

    @Test
    void defaultDevicesExistAfterFirstStart() {
        Response r = api.get("/api/v1/devices");
        assertEquals(200, r.status());
        Map<String, JsonNode> byId = new java.util.HashMap<>();
        r.json().forEach(d -> byId.put(d.get("id").asText(), d));
        Object[][] expected = {{"mock-hvac-001", "HVAC System", 25.0}, {"mock-lighting-001", "LED Lighting", 8.5},
                               {"mock-server-001", "Server Rack", 45.0}, {"mock-industrial-001", "Production Line", 120.0},
                               {"mock-kitchen-001", "Kitchen Equipment", 15.0}};
        for (Object[] e : expected) {
            JsonNode d = byId.get((String) e[0]);
            assertNotNull(d, "default device " + e[0]);
            assertEquals(e[1], d.get("name").asText());
            assertEquals((double) e[2], d.get("base_power").asDouble());
        }
    }

    @Test
    void simulatedReadingsLandWithinRangesAndEnergyNeverDecreases() {
        String id = create("range", "server", 45.0);
        await("readings of " + id).atMost(SOON).until(() -> readingsOf(id) >= 10);
        List<Map<String, Object>> rows = Sinks.rows(
                "SELECT power, voltage, current, energy FROM device_readings WHERE device_id = ? ORDER BY \"timestamp\"", id);
        double previous = -1;
        for (Map<String, Object> row : rows) {
            double p = (double) row.get("power");
            double v = (double) row.get("voltage");
            assertTrue(p >= 40.5 && p <= 49.5, "power ±10 %: " + p);
            assertTrue(v >= 235.2 && v <= 244.8, "voltage ±2 %: " + v);
            assertEquals(p * 1000 / v, (double) row.get("current"), 0.001);
            assertTrue((double) row.get("energy") >= previous, "energy monotonic");
            previous = (double) row.get("energy");
        }
        assertTrue(previous > 0, "energy accumulates");
    }

    @Test
    void restApiAnswersWithTheRightCodes() {
        String id = create("rest", "lighting", 8.5);
        assertEquals(409, api.post("/api/v1/devices", "{\"id\":\"" + id + "\",\"name\":\"again\",\"type\":\"lighting\"}").status());
        Response missing = api.post("/api/v1/devices", "{\"type\":\"hvac\"}");
        assertEquals(400, missing.status());
        assertTrue(missing.json().get("error").asText().contains("'name'"), missing.toString());
        Response badPower = api.post("/api/v1/devices", "{\"name\":\"x\",\"type\":\"hvac\",\"base_power\":\"lots\"}");
        assertEquals(400, badPower.status());
        assertTrue(badPower.json().get("error").asText().contains("'base_power'"), badPower.toString());
        assertEquals(400, api.post("/api/v1/devices", "{\"name\":\"x\",\"type\":\"toaster\"}").status());
        assertEquals(400, api.post("/api/v1/devices", "{not json").status());
        assertEquals(400, api.post("/api/v1/devices", "{\"id\":\"bad/id\",\"name\":\"x\",\"type\":\"hvac\"}").status());
        assertEquals(404, api.get("/api/v1/devices/" + PREFIX + "nope").status());
        assertEquals(404, api.get("/api/v1/devices/x'%20OR%20'1'='1").status());
        assertEquals(404, api.put("/api/v1/devices/" + PREFIX + "nope", "{\"name\":\"n\"}").status());
        assertEquals(404, api.delete("/api/v1/devices/" + PREFIX + "nope").status());
        assertEquals(404, api.post("/api/v1/devices/" + PREFIX + "nope/command", "{\"command\":\"turn_on\"}").status());

        // changes need the token; reads do not
        assertEquals(401, api.withToken(null).post("/api/v1/devices", "{\"name\":\"x\",\"type\":\"hvac\"}").status());
        assertEquals(401, api.withToken("wrong").delete("/api/v1/devices/" + id).status());
        assertEquals(401, api.withToken(null).post("/api/v1/simulation/stop", null).status());
        assertEquals(200, api.withToken(null).get("/api/v1/devices/" + id).status());

        Response updated = api.put("/api/v1/devices/" + id, "{\"name\":\"Renamed\",\"base_power\":9.5}");
        assertEquals(200, updated.status(), updated.toString());
        assertEquals("Renamed", api.get("/api/v1/devices/" + id).json().get("name").asText());
        assertEquals(9.5, api.get("/api/v1/devices/" + id).json().get("base_power").asDouble());

        Response status = api.get("/api/v1/simulation/status");
        assertEquals(200, status.status());
        assertTrue(status.json().get("running").asBoolean());
        assertTrue(status.json().get("devices").asInt() >= 6);

        Response health = api.withToken(null).get("/health");
        assertEquals(200, health.status(), health.toString());
        assertEquals("healthy", health.json().get("status").asText());

        Response openapi = api.get("/api/v1/openapi.json");
        assertEquals(200, openapi.status());
        assertTrue(openapi.json().get("paths").has("/api/v1/devices/{id}/command"), "OpenAPI lists the command path");
        assertTrue(openapi.json().get("paths").has("/api/v1/registry/devices"), "OpenAPI lists the registry");

        assertEquals(204, api.delete("/api/v1/devices/" + id).status());
        assertEquals(404, api.get("/api/v1/devices/" + id).status());
        assertEquals(0, Sinks.count("SELECT count(*) FROM mock_devices WHERE id = ?", id));
    }

    @Test
    void commandsOverRestChangeWhatTheDeviceSends() throws Exception {
        String id = create("cmd", "appliance", 15.0);
        await().atMost(SOON).until(() -> readingsOf(id) >= 2);

        // set_power: readings move to ±10 % of the new base power
        Response setPower = api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"set_power\",\"parameters\":{\"power\":100}}");
        assertEquals(200, setPower.status(), setPower.toString());
        assertEquals(100.0, setPower.json().get("base_power").asDouble());
        await().atMost(SOON).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id = ? AND power BETWEEN 90 AND 110", id) >= 2);

        // turn_off: no more readings
        assertEquals(200, api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"turn_off\"}").status());
        long stopped = Quiet.settled("readings already published", () -> readingsOf(id), Duration.ofMillis(1500));
        Quiet.stays("a device turned off sends nothing", () -> readingsOf(id), stopped, Duration.ofSeconds(2));
        assertEquals(409, api.post("/api/v1/devices/" + id + "/simulate", null).status());

        // trigger_failure: status error, nothing sent, then recover
        assertEquals(200, api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"turn_on\"}").status());
        Response failed = api.post("/api/v1/devices/" + id + "/command",
                "{\"command\":\"trigger_failure\",\"parameters\":{\"mode\":\"error\",\"duration_seconds\":600}}");
        assertEquals("error", failed.json().get("status").asText(), failed.toString());
        assertEquals(400, api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"explode\"}").status());
        assertEquals(200, api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"recover\"}").status());
        long before = readingsOf(id);
        await().atMost(SOON).until(() -> readingsOf(id) > before + 2);

        // simulate: one reading now, and it lands
        Response simulated = api.post("/api/v1/devices/" + id + "/simulate", null);
        assertEquals(200, simulated.status(), simulated.toString());
        String ts = simulated.json().get("timestamp").asText();
        await().atMost(SOON).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id = ? AND \"timestamp\" = ?::timestamptz", id, ts) == 1);
        Response readings = api.get("/api/v1/devices/" + id + "/readings");
        assertEquals(200, readings.status());
        assertNotNull(readings.json().get("reading").get("power"));
    }

    @Test
    void commandsOverMqttAndTheirDeadLetters() throws Exception {
        String id = create("mqtt", "meter", 5.0);
        try (Devices mqtt = new Devices(); Listener status = new Listener("energy/devices/" + id + "/status", 1)) {
            mqtt.publish("energy/devices/" + id + "/commands", "{\"command\":\"set_offline\"}");
            await().atMost(SOON).until(() -> "offline".equals(api.get("/api/v1/devices/" + id).json().get("status").asText()));
            await().atMost(SOON).until(() -> status.received().stream().anyMatch(m -> m.payload().contains("\"offline\"")));

            mqtt.publish("energy/devices/" + id + "/commands", "{\"command\":\"set_online\"}");
            await().atMost(SOON).until(() -> "online".equals(api.get("/api/v1/devices/" + id).json().get("status").asText()));

            String unknown = PREFIX + "ghost";
            mqtt.publish("energy/devices/" + unknown + "/commands", "{\"command\":\"turn_on\"}");
            mqtt.publish("energy/devices/" + id + "/commands", "{\"command\":\"self_destruct\"}");
            mqtt.publish("energy/devices/" + id + "/commands", "not json");
            await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id = "
                                                          + "'mock-device-commands' AND topic LIKE ?", "%" + PREFIX + "%") >= 3);
        }
        List<String> reasons = new ArrayList<>();
        Sinks.rows("SELECT reason FROM dead_letters WHERE route_id = 'mock-device-commands' AND topic LIKE ? ORDER BY id",
                "%" + PREFIX + "%").forEach(r -> reasons.add((String) r.get("reason")));
        assertTrue(reasons.stream().anyMatch(r -> r.contains("unknown mock device")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.contains("unknown command 'self_destruct'")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.contains("malformed JSON")), reasons.toString());
        assertFalse(api.get("/api/v1/devices/" + id).json().get("status").asText().isEmpty());
    }

    @Test
    void simulationStopsAndStarts() throws Exception {
        String id = create("startstop", "gateway", 10.0);
        await().atMost(SOON).until(() -> readingsOf(id) >= 1);
        Response stopped = api.post("/api/v1/simulation/stop", null);
        assertFalse(stopped.json().get("running").asBoolean(), stopped.toString());
        long count = Quiet.settled("readings already published", () -> readingsOf(id), Duration.ofMillis(1500));
        Quiet.stays("no readings while the simulation is stopped", () -> readingsOf(id), count, Duration.ofSeconds(2));
        assertTrue(api.post("/api/v1/simulation/start", null).json().get("running").asBoolean());
        await().atMost(SOON).until(() -> readingsOf(id) > count);
    }
}
