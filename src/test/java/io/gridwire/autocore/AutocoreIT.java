package io.gridwire.autocore;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 002 AutoCore monitor end to end: real Mosquitto, PostgreSQL (schema autocore), QuestDB (InfluxDB v2 API)
 * and Kafka; gridwire as its own process.
 */
@SharedGridwire
class AutocoreIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices mqtt;

    @BeforeAll
    static void start(GridwireProcess g, Api a, Devices d) {
        gridwire = g;
        api = a;
        mqtt = d;
    }


    private static String device(String name) {
        return "ESP32_" + name + "_" + UUID.randomUUID().toString().substring(0, 6);
    }

    private static Map<String, Object> row(String sql, Object... params) {
        List<Map<String, Object>> rows = Sinks.rows(sql, params);
        return rows.isEmpty() ? null : rows.get(0);
    }

    @Test
    void theSeedsExamplesProduceTheDocumentedRows() throws Exception {
        String id = device("seed");
        // seed 002's three payloads, verbatim but for the device id
        mqtt.publish("autocore/" + id + "/status", "{\"device_id\":\"" + id + "\",\"status\":\"online\",\"ip_address\":"
                + "\"192.168.1.100\",\"firmware_version\":\"1.2.0\",\"uptime\":3600,\"timestamp\":\"2025-01-28T10:30:00Z\"}");
        mqtt.publish("autocore/" + id + "/telemetry", "{\"device_id\":\"" + id + "\",\"temperature\":25.6,\"humidity\":45.2,"
                + "\"voltage\":3.28,\"memory_free\":45120,\"timestamp\":\"2025-01-28T10:30:15Z\"}");
        mqtt.publish("autocore/" + id + "/relay/0/status", "{\"device_id\":\"" + id + "\",\"relay_index\":0,\"state\":true,"
                + "\"triggered_by\":\"manual\",\"timestamp\":\"2025-01-28T10:30:30Z\"}");
        mqtt.publish("autocore/" + id + "/display/interaction", "{\"screen\":\"home\",\"button\":\"relay_0\","
                + "\"timestamp\":\"2025-01-28T10:30:31Z\"}");
        mqtt.publish("autocore/" + id + "/system/boot", "{\"reason\":\"power-on\",\"timestamp\":\"2025-01-28T10:29:00Z\"}");

        await().atMost(SOON).until(() -> row("SELECT 1 FROM autocore.system_messages WHERE device_id = ?", id) != null
                                          && row("SELECT 1 FROM autocore.relays WHERE device_id = ?", id) != null);
        Map<String, Object> d = row("SELECT is_online, ip_address, firmware_version, uptime, status_at, last_seen "
                                    + "FROM autocore.devices WHERE device_id = ?", id);
        assertEquals(true, d.get("is_online"));
        assertEquals("192.168.1.100", d.get("ip_address"));
        assertEquals("1.2.0", d.get("firmware_version"));
        assertEquals(3600L, d.get("uptime"));
        assertEquals(Instant.parse("2025-01-28T10:30:00Z"), ((java.sql.Timestamp) d.get("status_at")).toInstant());
        assertTrue(((java.sql.Timestamp) d.get("last_seen")).toInstant().isAfter(Instant.now().minusSeconds(60)),
                "last_seen is when gridwire heard from the device");
        List<Map<String, Object>> conn = Sinks.rows("SELECT is_online, ip_address, reason FROM autocore.connectivity_history "
                                                    + "WHERE device_id = ?", id);
        assertEquals(1, conn.size(), conn.toString());
        assertEquals("registered", conn.get(0).get("reason"));

        Map<String, Object> t = row("SELECT ts, fields::text AS fields FROM autocore.telemetry WHERE device_id = ?", id);
        assertEquals(Instant.parse("2025-01-28T10:30:15Z"), ((java.sql.Timestamp) t.get("ts")).toInstant());
        JsonNode fields = JSON.readTree((String) t.get("fields"));
        assertEquals(4, fields.size(), fields.toString());
        assertEquals(25.6, fields.get("temperature").asDouble());
        assertEquals(45.2, fields.get("humidity").asDouble());
        assertEquals(3.28, fields.get("voltage").asDouble());
        assertEquals(45120.0, fields.get("memory_free").asDouble());

        Map<String, Object> relay = row("SELECT current_state, triggered_by, state_at FROM autocore.relays "
                                        + "WHERE device_id = ? AND relay_index = 0", id);
        assertEquals(true, relay.get("current_state"));
        assertEquals("manual", relay.get("triggered_by"));
        assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.relay_state_history WHERE device_id = ?", id));
        assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.display_interactions WHERE device_id = ?", id));
        assertEquals("boot", row("SELECT subtopic FROM autocore.system_messages WHERE device_id = ?", id).get("subtopic"));

        // the TSDB point: measurement autocore_telemetry, tag device_id, one field per value
        await().atMost(SOON).until(() -> !Sinks.points("select * from autocore_telemetry where device_id = '" + id + "'").isEmpty());
        var point = Sinks.points("select * from autocore_telemetry where device_id = '" + id + "'");
        assertEquals(1, point.size());
        assertEquals(25.6, point.get(0).get("temperature").asDouble());
        assertEquals(45120.0, point.get(0).get("memory_free").asDouble());

        // the same messages again (a redelivery) change nothing
        mqtt.publish("autocore/" + id + "/telemetry", "{\"device_id\":\"" + id + "\",\"temperature\":25.6,\"humidity\":45.2,"
                + "\"voltage\":3.28,\"memory_free\":45120,\"timestamp\":\"2025-01-28T10:30:15Z\"}");
        // older than the stored status: ignored (an older offline after an online would apply: a last will)
        mqtt.publish("autocore/" + id + "/status", "{\"device_id\":\"" + id + "\",\"status\":\"online\","
                + "\"ip_address\":\"10.9.9.9\",\"timestamp\":\"2025-01-28T10:00:00Z\"}");
        String marker = device("marker");
        mqtt.publish("autocore/" + marker + "/status", "{\"status\":\"online\"}");
        await().atMost(SOON).until(() -> row("SELECT 1 FROM autocore.devices WHERE device_id = ?", marker) != null);
        assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id));
        assertEquals("192.168.1.100", row("SELECT ip_address FROM autocore.devices WHERE device_id = ?", id).get("ip_address"),
                "a stale status does not overwrite a newer one");
        assertEquals(200, api.get("/api/v1/autocore/devices/" + id).status());
    }

    @Test
    void relayHistoryAccumulatesAndACriticalRelayNotifies() throws Exception {
        String id = device("relay");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(100);
        try (KafkaReader notifications = new KafkaReader("device-notifications")) {
            mqtt.publish("autocore/" + id + "/status", "{\"status\":\"online\"}");
            await().atMost(SOON).until(() -> row("SELECT 1 FROM autocore.devices WHERE device_id = ?", id) != null);
            assertEquals(401, api.withToken(null).put("/api/v1/autocore/devices/" + id + "/relays/2", "{\"critical\":true}").status());
            Api.Response marked = api.put("/api/v1/autocore/devices/" + id + "/relays/2", "{\"critical\":true,\"name\":\"pump\"}");
            assertEquals(200, marked.status(), marked.toString());

            boolean[] states = {true, false, true, true};
            for (int i = 0; i < states.length; i++) {
                mqtt.publish("autocore/" + id + "/relay/2/status", "{\"relay_index\":2,\"state\":" + states[i]
                        + ",\"triggered_by\":\"automation\",\"timestamp\":\"" + t0.plusSeconds(i) + "\"}");
            }
            // a late message, older than the current state
            mqtt.publish("autocore/" + id + "/relay/2/status", "{\"state\":false,\"timestamp\":\"" + t0.minusSeconds(5) + "\"}");
            await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.relay_state_history WHERE device_id = ?", id) == 5);
            Map<String, Object> relay = row("SELECT current_state, state_at, name, critical FROM autocore.relays "
                                            + "WHERE device_id = ? AND relay_index = 2", id);
            assertEquals(true, relay.get("current_state"));
            assertEquals(t0.plusSeconds(3), ((java.sql.Timestamp) relay.get("state_at")).toInstant());
            assertEquals("pump", relay.get("name"));

            // changes of a critical relay: unknown->on, on->off, off->on = 3 (on->on and the stale message are none)
            await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.notifications WHERE device_id = ? "
                                                          + "AND sent_at IS NOT NULL", id) == 3);
            await().atMost(SOON).until(() -> notifications.records(id).size() == 3);
            ConsumerRecord<String, String> first = notifications.records(id).get(0);
            assertEquals(id, first.key());
            JsonNode n = JSON.readTree(first.value());
            assertEquals("critical_relay", n.get("type").asText());
            assertEquals(2, n.get("relay_index").asInt());
            Quiet.stays("one record per change", () -> notifications.records(id).size(), 3, Duration.ofSeconds(1));
        }
    }

    @Test
    void anAnomalyRaisesOneAlert() throws Exception {
        String id = device("anomaly");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(200);
        try (KafkaReader alerts = new KafkaReader("device-alerts")) {
            for (int i = 0; i < 15; i++) {
                mqtt.publish("autocore/" + id + "/telemetry", "{\"temperature\":" + (20 + (i % 3) * 0.5) + ",\"humidity\":40,"
                        + "\"timestamp\":\"" + t0.plusSeconds(i) + "\"}");
            }
            String spike = "{\"temperature\":80,\"humidity\":40,\"timestamp\":\"" + t0.plusSeconds(20) + "\"}";
            mqtt.publish("autocore/" + id + "/telemetry", spike);
            mqtt.publish("autocore/" + id + "/telemetry", spike); // delivered twice
            await().atMost(SOON).until(() -> alerts.records(id).size() >= 1);
            Quiet.stays("one alert for a spike delivered twice", () -> alerts.records(id).size(), 1, Duration.ofSeconds(1));
            List<Map<String, Object>> rows = Sinks.rows("SELECT field, value, z_score, sent_at FROM autocore.alerts "
                                                        + "WHERE device_id = ?", id);
            assertEquals(1, rows.size(), rows.toString());
            assertEquals("temperature", rows.get(0).get("field"));
            assertEquals(80.0, rows.get(0).get("value"));
            assertEquals(1, alerts.records(id).size());
            JsonNode a = JSON.readTree(alerts.records(id).get(0).value());
            assertEquals("anomaly", a.get("type").asText());
            assertTrue(a.get("z_score").asDouble() > 3);
        }
        JsonNode avg = api.get("/api/v1/autocore/devices/" + id + "/averages").json();
        assertEquals(16, avg.get("fields").get("temperature").get("samples").asInt());
        assertEquals(40.0, avg.get("fields").get("humidity").get("average").asDouble(), 1e-9);
        assertEquals(80.0, avg.get("fields").get("temperature").get("max").asDouble(), 1e-9);
        assertEquals(404, api.get("/api/v1/autocore/devices/nobody/averages").status());
    }

    @Test
    void malformedMessagesBecomeDeadLettersWhileValidTrafficGoesOn() throws Exception {
        String id = device("bad");
        JsonNode before = api.get("/health/mqtt-monitor").json();
        assertEquals("healthy", before.get("status").asText());
        String[][] bad = {
            {"autocore/" + id + "/telemetry", "{not json", "malformed JSON"},
            {"autocore/" + id + "/telemetry", "{\"label\":\"hot\"}", "no numeric field"},
            {"autocore/" + id + "/telemetry", "{\"device_id\":\"someone-else\",\"t\":1}", "does not match the topic"},
            {"autocore/" + id + "/status", "{\"status\":\"sleepy\"}", "'status' must be 'online' or 'offline'"},
            {"autocore/" + id + "/relay/x/status", "{\"state\":true}", "relay index 'x'"},
            {"autocore/" + id + "/relay/1/status", "{\"state\":\"on\"}", "'state' must be true or false"},
            {"autocore/" + id + "/telemetry", "{\"t\":1,\"timestamp\":\"yesterday\"}", "not an ISO-8601 instant"},
            {"autocore/" + id + "/system/boot", "[1,2,3]", "not a JSON object"},
        };
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
        for (int i = 0; i < bad.length; i++) {
            mqtt.publish(bad[i][0], bad[i][1]);
            mqtt.publish("autocore/" + id + "/telemetry", "{\"temperature\":21,\"timestamp\":\"" + t0.plusSeconds(i) + "\"}");
        }
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id) == bad.length);
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id = 'autocore-ingest' "
                                                      + "AND topic LIKE ?", "%" + id + "%") == bad.length);
        String reasons = Sinks.rows("SELECT reason FROM dead_letters WHERE route_id = 'autocore-ingest' AND topic LIKE ?",
                "%" + id + "%").toString();
        for (String[] b : bad) {
            assertTrue(reasons.contains(b[2]), b[2] + " in " + reasons);
        }
        JsonNode after = api.get("/health/mqtt-monitor").json();
        assertTrue(after.get("messages_processed").asLong() >= before.get("messages_processed").asLong() + bad.length);
        assertEquals(before.get("errors_count").asLong() + bad.length, after.get("errors_count").asLong());
        assertTrue(after.get("last_message_time").asText().startsWith("20"));
        assertTrue(after.get("broker_connected").asBoolean());

        // the same in Prometheus metrics: message rate, write latency, dead letters by route and reason
        String metrics = api.get("/observe/metrics").text();
        assertTrue(metrics.contains("gridwire_dead_letters_total{reason=\"InvalidMessageException\",route=\"autocore-ingest\"}"),
                "dead letters by route and reason");
        assertTrue(metrics.contains("gridwire_ingest_messages_total{outcome=\"committed\",route=\"autocore-ingest\"}"), "messages acked");
        assertTrue(metrics.contains("gridwire_db_write_seconds_count{family=\"autocore\"}"));
        assertTrue(metrics.contains("routeId=\"autocore-ingest\""), "per-route exchange metrics");
    }
}
