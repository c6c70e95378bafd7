package io.gridwire.sites;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Listener;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 003 EcoGrid bridge end to end: real Mosquitto, Kafka and PostgreSQL; gridwire as its own process, with a
 * producer record limit of 2 000 bytes so that a large record is refused (the -dlt case).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SitesIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SITE = 7;

    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices mqtt;

    @BeforeAll
    static void start() throws Exception {
        gridwire = new GridwireProcess("sites", Map.of("SITES_KAFKA_MAXREQUESTSIZE", "2000",
                "SITES_BREAKER_WAITDURATIONINOPENSTATEMS", "3000")).start();
        api = new Api(gridwire.httpPort());
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

    private static String register(String prefix, String type) {
        String serial = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        Api.Response r = api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + serial + "\",\"siteId\":" + SITE
                                                         + ",\"deviceType\":\"" + type + "\"}");
        assertEquals(201, r.status(), r.toString());
        return serial;
    }

    private static String topic(String serial, String kind) {
        return "sites/" + SITE + "/devices/" + serial + "/" + kind;
    }

    @Test
    @Order(1)
    void topicsExistWithTheSeedsRetention() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", Sinks.env("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")))) {
            Map<String, Long> expected = Map.of("device-telemetry", 604_800_000L, "device-status", 2_592_000_000L,
                    "device-telemetry-dlt", 604_800_000L, "device-status-dlt", 2_592_000_000L);
            for (var e : expected.entrySet()) {
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, e.getKey());
                Config c = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
                assertEquals(String.valueOf(e.getValue()), c.get("retention.ms").value(), e.getKey() + " retention.ms");
            }
            assertEquals(3, admin.describeTopics(List.of("device-telemetry")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("device-telemetry").partitions().size());
        }
    }

    @Test
    @Order(2)
    void theSeedsPayloadsBecomeTheSeedsEvents() throws Exception {
        String serial = register("INV", "SOLAR_INVERTER");
        long deviceId = -1;
        for (JsonNode d : api.get("/api/v1/ems/devices").json()) {
            if (d.get("serialNumber").asText().equals(serial)) {
                deviceId = d.get("deviceId").asLong();
            }
        }
        Instant t0 = Instant.parse("2025-10-04T10:15:00Z");
        try (KafkaReader telemetry = new KafkaReader("device-telemetry"); KafkaReader status = new KafkaReader("device-status")) {
            mqtt.publish(topic(serial, "telemetry"), "{\"powerKw\":45.2,\"voltage\":480.5,\"current\":94.3,\"temperature\":35.2,"
                                                     + "\"efficiency\":98.5,\"timestamp\":\"" + t0 + "\"}");
            await().atMost(SOON).until(() -> telemetry.records(serial).size() == 1);
            ConsumerRecord<String, String> r = telemetry.records(serial).get(0);
            assertEquals(serial, r.key(), "partition key = serial number");
            JsonNode e = JSON.readTree(r.value());
            assertEquals(deviceId, e.get("deviceId").asLong());
            assertEquals(serial, e.get("serialNumber").asText());
            assertEquals(SITE, e.get("siteId").asLong());
            assertEquals("SOLAR_INVERTER", e.get("deviceType").asText());
            assertEquals(JSON.readTree("{\"powerKw\":45.2,\"voltage\":480.5,\"current\":94.3,\"temperature\":35.2,\"efficiency\":98.5}"),
                    e.get("telemetryData"));
            assertEquals("2025-10-04T10:15:00Z", e.get("timestamp").asText());
            assertEquals("DEVICE_TELEMETRY", e.get("eventType").asText());
            assertEquals(7, e.size(), "exactly the seed's fields: " + e);
            assertTrue(KafkaReader.headers(r).get("gridwire_message_id").matches(
                    java.util.regex.Pattern.quote(serial + "@2025-10-04T10:15:00Z") + "#[0-9a-f]{8}"), KafkaReader.headers(r).toString());

            // status: ONLINE (first), OFFLINE (change), OFFLINE again (no change), a stale ONLINE (ignored)
            mqtt.publish(topic(serial, "status"), "{\"status\":\"ONLINE\",\"timestamp\":\"" + t0 + "\"}");
            mqtt.publish(topic(serial, "status"), "{\"status\":\"OFFLINE\",\"reason\":\"Device communication lost\",\"timestamp\":\""
                                                  + t0.plusSeconds(60) + "\"}");
            mqtt.publish(topic(serial, "status"), "{\"status\":\"offline\",\"timestamp\":\"" + t0.plusSeconds(120) + "\"}");
            mqtt.publish(topic(serial, "status"), "{\"status\":\"ONLINE\",\"timestamp\":\"" + t0.plusSeconds(30) + "\"}");
            mqtt.publish(topic(serial, "status"), "{\"status\":\"ONLINE\",\"reason\":\"Device communication restored\","
                                                  + "\"timestamp\":\"" + t0.plusSeconds(180) + "\"}");
            await().atMost(SOON).until(() -> status.records(serial).size() >= 3);
            Quiet.stays("one event per change", () -> status.records(serial).size(), 3, Duration.ofMillis(1500));
            List<ConsumerRecord<String, String>> events = status.records(serial);
            JsonNode last = JSON.readTree(events.get(2).value());
            assertEquals(JSON.readTree("{\"deviceId\":" + deviceId + ",\"serialNumber\":\"" + serial + "\",\"siteId\":" + SITE
                                       + ",\"previousStatus\":\"OFFLINE\",\"newStatus\":\"ONLINE\",\"timestamp\":\""
                                       + t0.plusSeconds(180) + "\",\"eventType\":\"DEVICE_STATUS_CHANGE\","
                                       + "\"reason\":\"Device communication restored\"}"), last);
            assertEquals(serial, events.get(2).key());
            assertTrue(JSON.readTree(events.get(0).value()).get("previousStatus").isNull());
            assertEquals("ONLINE", JSON.readTree(events.get(1).value()).get("previousStatus").asText());
        }
    }

    @Test
    @Order(2)
    void statusChangesReachTheServerSentEventsStream() throws Exception {
        String serial = register("SSE", "SOLAR_INVERTER");
        java.util.concurrent.CopyOnWriteArrayList<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var response = http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://localhost:" + gridwire.httpPort() + "/api/v1/stream/device-status")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        var stream = response.get(10, TimeUnit.SECONDS);
        assertEquals(200, stream.statusCode());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElse(""));
        Thread reader = new Thread(() -> stream.body().forEach(lines::add));
        reader.setDaemon(true);
        reader.start();
        await().atMost(SOON).until(() -> lines.stream().anyMatch(l -> l.startsWith(": connected")));
        // the stream's Kafka consumer starts from the newest records: publish a change each second until one shows
        await().atMost(SOON).pollInterval(Duration.ofSeconds(1)).until(() -> {
            mqtt.publish(topic(serial, "status"), "{\"status\":\"" + (lines.size() % 2 == 0 ? "ONLINE" : "OFFLINE")
                                                  + "\",\"timestamp\":\"" + Instant.now() + "\"}");
            return lines.stream().anyMatch(l -> l.startsWith("data: ") && l.contains(serial) && l.contains("DEVICE_STATUS_CHANGE"));
        });
        assertTrue(lines.contains("event: device-status"), lines.toString());
    }

    @Test
    @Order(3)
    void badInputIsDeadLetteredWithItsReason() throws Exception {
        String serial = register("MTR", "METER");
        String unknown = "NOPE-" + UUID.randomUUID().toString().substring(0, 6);
        mqtt.publish(topic(unknown, "telemetry"), "{\"powerKw\":1}");
        mqtt.publish("sites/99/devices/" + serial + "/telemetry", "{\"powerKw\":1}");
        mqtt.publish(topic(serial, "telemetry"), "{\"powerKw\":\"lots\"}");
        mqtt.publish(topic(serial, "status"), "{\"status\":\"SLEEPING\"}");
        mqtt.publish(topic(serial, "telemetry"), "{oops");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id = 'sites-ingest' "
                                                      + "AND (topic LIKE ? OR topic LIKE ?)", "%" + serial + "%", "%" + unknown + "%") == 5);
        String reasons = Sinks.rows("SELECT reason FROM dead_letters WHERE route_id = 'sites-ingest' AND (topic LIKE ? OR topic LIKE ?)",
                "%" + serial + "%", "%" + unknown + "%").toString();
        for (String expected : new String[] {"unknown device serial '" + unknown + "'", "belongs to site " + SITE + ", not to site 99",
                                             "'powerKw' must be a finite number", "'status' must be one of", "malformed JSON"}) {
            assertTrue(reasons.contains(expected), expected + " in " + reasons);
        }
    }

    @Test
    @Order(4)
    void aCommandReachesTheDeviceAtQos2AndIsRecorded() throws Exception {
        String serial = register("BAT", "BATTERY");
        try (Listener device = new Listener(topic(serial, "commands"), 2)) {
            assertEquals(401, api.withToken(null).post("/api/v1/sites/" + SITE + "/devices/" + serial + "/commands",
                    "{\"command\":\"SET_POWER_LIMIT\"}").status());
            assertEquals(400, api.post("/api/v1/sites/" + SITE + "/devices/" + serial + "/commands", "{\"parameters\":{}}").status());
            assertEquals(404, api.post("/api/v1/sites/" + SITE + "/devices/NOPE-1/commands", "{\"command\":\"X\"}").status());
            Api.Response r = api.post("/api/v1/sites/" + SITE + "/devices/" + serial + "/commands",
                    "{\"command\":\"SET_POWER_LIMIT\",\"parameters\":{\"limitKw\":40}}");
            assertEquals(202, r.status(), r.toString());
            String id = r.json().get("commandId").asText();
            await().atMost(SOON).until(() -> !device.received().isEmpty());
            Listener.Received m = device.received().get(0);
            assertEquals(2, m.qos(), "delivered at QoS 2");
            JsonNode c = JSON.readTree(m.payload());
            assertEquals(id, c.get("commandId").asText());
            assertEquals("SET_POWER_LIMIT", c.get("command").asText());
            assertEquals(40, c.get("parameters").get("limitKw").asInt());
            assertEquals("published", Sinks.rows("SELECT status FROM ems_commands WHERE id = ?::uuid", id).get(0).get("status"));
        }
    }

    @Test
    @Order(5)
    void theHourlyAggregatesMatchThePublishedTelemetry() throws Exception {
        String serial = register("AGG", "SOLAR_INVERTER");
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
        double[] power = {10, 20, 30, 40, 50, 60};
        for (int i = 0; i < power.length; i++) {
            mqtt.publish(topic(serial, "telemetry"), "{\"powerKw\":" + power[i] + ",\"timestamp\":\"" + hour.plusSeconds(600L * i) + "\"}");
        }
        // the first reading again (a redelivery) and one in the next hour
        mqtt.publish(topic(serial, "telemetry"), "{\"powerKw\":10,\"timestamp\":\"" + hour + "\"}");
        mqtt.publish(topic(serial, "telemetry"), "{\"powerKw\":99,\"timestamp\":\"" + hour.plusSeconds(3600) + "\"}");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode h = api.get("/api/v1/ems/devices/" + serial + "/aggregates").json().get("hours");
            return h.size() == 2 && h.get(0).get("samples").asInt() == 6;
        });
        Quiet.stays("the redelivered reading is counted once", () -> api.get("/api/v1/ems/devices/" + serial + "/aggregates")
                .json().get("hours").get(0).get("samples").asInt(), 6, Duration.ofMillis(1500));
        JsonNode first = api.get("/api/v1/ems/devices/" + serial + "/aggregates").json().get("hours").get(0);
        assertEquals(hour.toString(), first.get("hour").asText());
        assertEquals(6, first.get("samples").asInt(), "the redelivered reading is counted once");
        assertEquals(10.0, first.get("minPowerKw").asDouble());
        assertEquals(60.0, first.get("maxPowerKw").asDouble());
        assertEquals(35.0, first.get("avgPowerKw").asDouble(), 1e-9);
        // energy = average power x the span covered (50 minutes)
        assertEquals(35.0 * 3000 / 3600, first.get("energyKwh").asDouble(), 1e-9);
    }

    @Test
    @Order(6)
    void aRecordKafkaRefusesEndsInTheDeadLetterTopicWithItsReason() throws Exception {
        String serial = register("DLT", "METER");
        String reason = "x".repeat(2500); // the event is larger than the producer's 2 000-byte limit
        try (KafkaReader dlt = new KafkaReader("device-status-dlt")) {
            mqtt.publish(topic(serial, "status"), "{\"status\":\"ERROR\",\"reason\":\"" + reason + "\"}");
            await().atMost(SOON).until(() -> dlt.records(serial).size() == 1);
            Map<String, String> headers = KafkaReader.headers(dlt.records(serial).get(0));
            assertTrue(headers.get("gridwire_failure_reason").contains("RecordTooLarge")
                       || headers.get("gridwire_failure_reason").contains("larger than"), headers.toString());
            assertEquals("device-status", headers.get("gridwire_original_topic"));
            assertEquals("ERROR", JSON.readTree(dlt.records(serial).get(0).value()).get("newStatus").asText());
        }
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM ems_status_events WHERE serial_number = ? "
                                                      + "AND sent_at IS NOT NULL", serial) == 1);
    }
}
