package io.gridwire;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Quiet;
import io.gridwire.support.Services;
import io.gridwire.support.Sinks;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Devices, brokers and sinks as they behave in the field (issue 15), end to end through the real services: a value
 * the TSDB refuses every time, Kafka without topic auto-creation (the local Kafka runs with
 * {@code auto.create.topics.enable=false}), numbers sent as strings, a QoS 2 subscription and a crash.
 */
class DeviceBehaviourIT {

    private static final Duration SOON = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    /** Topics no earlier run created: gridwire must create them itself. */
    private static final String ENERGY_TOPIC = "t-energy-readings-" + RUN;
    private static final String ALERTS_TOPIC = "t-device-alerts-" + RUN;
    private static final String NOTIFICATIONS_TOPIC = "t-device-notifications-" + RUN;

    private static final String CLIENT_ID = "gridwire-test-behaviour-" + RUN;

    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices device;

    @BeforeAll
    static void start() throws Exception {
        gridwire = new GridwireProcess("behaviour", Map.of(
                "KAFKA_TOPICS_ENERGYREADINGS", ENERGY_TOPIC, "KAFKA_TOPICS_DEVICEALERTS", ALERTS_TOPIC,
                "KAFKA_TOPICS_DEVICENOTIFICATIONS", NOTIFICATIONS_TOPIC, "MQTT_CLIENTID", CLIENT_ID,
                // isolate what keeps failing after 3 attempts (0.2 + 0.4 s of backoff) instead of 5
                "INGEST_ISOLATEAFTERATTEMPTS", "3", "DELIVERY_RETRY_INITIALDELAYMS", "200")).start();
        api = new Api(gridwire.httpPort());
        device = new Devices();
    }

    @AfterAll
    static void stop() throws Exception {
        if (device != null) {
            device.close();
        }
        if (gridwire != null) {
            gridwire.stop();
        }
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(ENERGY_TOPIC, ALERTS_TOPIC, NOTIFICATIONS_TOPIC)).all().get(30, TimeUnit.SECONDS);
        }
        Sinks.removeTestPdus("t-");
        Sinks.removeTestDevices();
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Sinks.env("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")));
    }

    private static String autocoreDevice(String name) {
        return "ESP32_t" + name + "_" + UUID.randomUUID().toString().substring(0, 6);
    }

    /** AutoCore telemetry points of one device in the TSDB. */
    private static long autocorePoints(String deviceId) {
        return Sinks.points("select count() c from autocore_telemetry where device_id = '" + deviceId + "'").get(0).get("c").asLong();
    }

    /** gridwire_messages_awaiting_ack of the routes whose id starts with {@code routePrefix}, summed. */
    private static double awaitingAck(String routePrefix) {
        double sum = 0;
        for (String line : api.get("/observe/metrics").text().split("\n")) {
            if (line.startsWith("gridwire_messages_awaiting_ack{route=\"" + routePrefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static long deadLetters(String topicLike) {
        return Sinks.count("SELECT count(*) FROM dead_letters WHERE topic LIKE ?", topicLike);
    }

    private static String deadLetterReason(String topicLike) {
        return (String) Sinks.rows("SELECT reason FROM dead_letters WHERE topic LIKE ? ORDER BY id DESC LIMIT 1", topicLike)
                .get(0).get("reason");
    }

    @Test
    void everyKafkaTopicGridwireWritesIsCreatedAtStartUp() throws Exception {
        try (Admin admin = admin()) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String t : List.of(ENERGY_TOPIC, ALERTS_TOPIC, NOTIFICATIONS_TOPIC, "device-telemetry", "device-status")) {
                assertTrue(topics.contains(t), t + " created by gridwire (the broker does not auto-create topics)");
            }
        }
        // and the energy family writes to it: a reading lands in all three sinks
        String id = Devices.uniquePrefix("topics") + "meter";
        try (Sinks.KafkaReader kafka = new Sinks.KafkaReader(ENERGY_TOPIC)) {
            device.publishReading(id, Instant.now().truncatedTo(ChronoUnit.SECONDS), 5, 230, 0.02, 1);
            await().atMost(SOON).until(() -> kafka.records(id).size() == 1);
        }
        assertEquals(1, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", id));
        JsonNode kafkaCheck = api.healthCheck("kafka");
        assertEquals("UP", kafkaCheck.path("status").asText(), kafkaCheck.toString());
    }

    @Test
    void aValueTheTsdbRefusesEveryTimeBecomesADeadLetterAndTheFamilyGoesOn() throws Exception {
        String id = autocoreDevice("poison");
        String topic = "autocore/" + id + "/telemetry";
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        device.publish(topic, "{\"temperature\":21.0,\"timestamp\":\"" + t0 + "\"}");
        // PostgreSQL takes it; the TSDB answers HTTP 500 for a field 'Timestamp' beside its designated 'timestamp', every time
        device.publish(topic, "{\"Timestamp\":1796046712,\"temperature\":22.5,\"timestamp\":\"" + t0.plusSeconds(1) + "\"}");
        for (int i = 2; i < 6; i++) {
            device.publish(topic, "{\"temperature\":" + (21 + i) + ",\"timestamp\":\"" + t0.plusSeconds(i) + "\"}");
        }
        long start = System.nanoTime();
        await().atMost(SOON).until(() -> deadLetters(topic) == 1);
        await().atMost(SOON).until(() -> autocorePoints(id) == 5);
        System.out.printf("poison: dead letter and the 5 others in the TSDB %.1f s after publishing; reason: %s%n",
                (System.nanoTime() - start) / 1e9, deadLetterReason(topic));
        assertTrue(deadLetterReason(topic).contains("the sink answers"), deadLetterReason(topic));
        assertEquals(6, Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id),
                "PostgreSQL took every message, the refused one included (its dead letter names the TSDB's refusal)");

        // the family goes on: a later message lands at once, and nothing is held back
        device.publish(topic, "{\"temperature\":30,\"timestamp\":\"" + t0.plusSeconds(10) + "\"}");
        await().atMost(SOON).until(() -> autocorePoints(id) == 6);
        assertEquals(200, api.get("/observe/health").status(), api.get("/observe/health").text());
        assertEquals("healthy", api.get("/health/mqtt-monitor").json().path("status").asText());
        assertEquals(1, deadLetters(topic));
    }

    @Test
    void numbersSentAsStringsAreConvertedAndOtherTextIsNamed() throws Exception {
        String id = autocoreDevice("numtext");
        String topic = "autocore/" + id + "/telemetry";
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
        device.publish(topic, "{\"temperature\":19.43,\"battery\":\"100.00\",\"timestamp\":\"" + t0 + "\"}");
        device.publish(topic, "{\"battery\":\"full\",\"timestamp\":\"" + t0.plusSeconds(1) + "\"}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id) == 1
                                          && deadLetters(topic) == 1);
        JsonNode fields = JSON.readTree((String) Sinks.rows("SELECT fields::text AS f FROM autocore.telemetry WHERE device_id = ?", id)
                .get(0).get("f"));
        assertEquals(100.0, fields.path("battery").asDouble(), fields.toString());
        assertEquals(19.43, fields.path("temperature").asDouble(), fields.toString());
        await().atMost(SOON).until(() -> !Sinks.points("select battery from autocore_telemetry where device_id = '" + id + "'").isEmpty());
        assertEquals(100.0, Sinks.points("select battery from autocore_telemetry where device_id = '" + id + "'").get(0)
                .get("battery").asDouble());
        String reason = deadLetterReason(topic);
        assertTrue(reason.contains("battery"), "the refusal names the field: " + reason);

        // energy: the same rule
        String meter = Devices.uniquePrefix("numtext") + "meter";
        device.publish("energy/devices/" + meter + "/data", Devices.reading(meter, t0, 12.5, 230, 0.05, 2)
                .replace("\"power\":12.5", "\"power\":\"12.5\""));
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", meter) == 1);
        assertEquals(12.5, Sinks.rows("SELECT power FROM device_readings WHERE device_id = ?", meter).get(0).get("power"));
    }

    @Test
    void aClockNotSyncedOrFarAheadIsADeadLetterNamingTheClockAndCannotFreezeState() throws Exception {
        String meter = Devices.uniquePrefix("clock") + "meter";
        String topic = "energy/devices/" + meter + "/data";
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        device.publish(topic, Devices.reading(meter, Instant.parse("1970-01-01T00:00:42Z"), 1, 230, 0.01, 1));
        device.publishReading(meter, now.minusSeconds(2), 2, 230, 0.01, 2);
        device.publishReading(meter, now.plusSeconds(50 * 60), 99, 230, 0.4, 3); // a clock 50 minutes ahead
        device.publishReading(meter, now, 4, 230, 0.02, 4);
        await().atMost(SOON).until(() -> deadLetters("%" + meter + "%") == 2
                                          && Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", meter) == 2);
        List<Map<String, Object>> reasons = Sinks.rows("SELECT reason FROM dead_letters WHERE topic = ? ORDER BY id", topic);
        assertTrue(reasons.get(0).get("reason").toString().contains("before timestamps.earliest"), reasons.toString());
        assertTrue(reasons.get(1).get("reason").toString().contains("ahead of gridwire's clock"), reasons.toString());
        // the reading after the wrong clock is the current state (not frozen for 50 minutes)
        assertEquals(4.0, Sinks.rows("SELECT power FROM device_current_state WHERE device_id = ?", meter).get(0).get("power"));
        // AutoCore (which stamped anything up to an hour ahead) follows the same rule
        String id = autocoreDevice("clock");
        device.publish("autocore/" + id + "/telemetry", "{\"temperature\":20,\"timestamp\":\"" + now.plusSeconds(50 * 60) + "\"}");
        await().atMost(SOON).until(() -> deadLetters("autocore/" + id + "/telemetry") == 1);
        assertTrue(deadLetterReason("autocore/" + id + "/telemetry").contains("ahead of gridwire's clock"));
    }

    @Test
    void twoReadingsWithOneKeyEndTheSameInEverySink() throws Exception {
        String meter = Devices.uniquePrefix("samekey") + "meter";
        Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(20);
        try (Sinks.KafkaReader kafka = new Sinks.KafkaReader(ENERGY_TOPIC)) {
            device.publishReading(meter, ts, 10, 230, 0.05, 1);
            device.publishReading(meter, ts, 20, 230, 0.09, 1); // a correction under the same key: the later arrival wins
            await().atMost(SOON).until(() -> kafka.records(meter).size() == 2);
            List<String> ids = kafka.records(meter).stream().map(r -> Sinks.KafkaReader.headers(r).get("gridwire_message_id")).toList();
            assertEquals(2, ids.stream().distinct().count(), "a message id identifies content: " + ids);
            assertEquals(20.0, JSON.readTree(kafka.records(meter).get(1).value()).get("power").asDouble(), "the later record is the later reading");
        }
        await().atMost(SOON).until(() -> !Sinks.points("select power from energy_readings where device_id = '" + meter + "'").isEmpty());
        assertEquals(20.0, Sinks.rows("SELECT power FROM device_readings WHERE device_id = ?", meter).get(0).get("power"));
        assertEquals(1, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", meter));
        assertEquals(20.0, Sinks.rows("SELECT power FROM device_current_state WHERE device_id = ?", meter).get(0).get("power"));
        var points = Sinks.points("select power from energy_readings where device_id = '" + meter + "'");
        assertEquals(1, points.size(), points.toString());
        assertEquals(20.0, points.get(0).get("power").asDouble());

        // AutoCore: fields of two messages with one timestamp are merged, in PostgreSQL and the TSDB alike
        String id = autocoreDevice("merge");
        device.publish("autocore/" + id + "/telemetry", "{\"temperature\":25.6,\"timestamp\":\"" + ts + "\"}");
        device.publish("autocore/" + id + "/telemetry", "{\"humidity\":45.2,\"timestamp\":\"" + ts + "\"}");
        await().atMost(SOON).until(() -> Sinks.count(
                "SELECT count(*) FROM autocore.telemetry WHERE device_id = ? AND fields->>'humidity' IS NOT NULL", id) == 1);
        JsonNode fields = JSON.readTree((String) Sinks.rows("SELECT fields::text AS f FROM autocore.telemetry WHERE device_id = ?", id)
                .get(0).get("f"));
        assertEquals(25.6, fields.path("temperature").asDouble(), fields.toString());
        assertEquals(45.2, fields.path("humidity").asDouble(), fields.toString());
        await().atMost(SOON).until(() -> {
            var p = Sinks.points("select temperature, humidity from autocore_telemetry where device_id = '" + id + "'");
            return p.size() == 1 && p.get(0).get("humidity").asDouble() == 45.2 && p.get(0).get("temperature").asDouble() == 25.6;
        });
    }

    @Test
    void statesChangedTwiceAtOneTimestampAndLastWillsAreAllRecorded() throws Exception {
        String id = autocoreDevice("pulse");
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
        device.publish("autocore/" + id + "/status", "{\"status\":\"online\",\"timestamp\":\"" + t + "\"}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.devices WHERE device_id = ?", id) == 1);
        assertEquals(200, api.put("/api/v1/autocore/devices/" + id + "/relays/0", "{\"critical\":true}").status());
        // a pulse: on and off with one timestamp
        device.publish("autocore/" + id + "/relay/0/status", "{\"state\":true,\"timestamp\":\"" + t.plusSeconds(1) + "\"}");
        device.publish("autocore/" + id + "/relay/0/status", "{\"state\":false,\"timestamp\":\"" + t.plusSeconds(1) + "\"}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.relay_state_history WHERE device_id = ?", id) == 2
                                          && Sinks.count("SELECT count(*) FROM autocore.notifications WHERE device_id = ?", id) == 2);
        assertEquals(false, Sinks.rows("SELECT current_state FROM autocore.relays WHERE device_id = ? AND relay_index = 0", id)
                .get(0).get("current_state"), "the later arrival (off) is the current state");
        // the last will: offline stamped with the connect time, older than the online status it follows
        device.publish("autocore/" + id + "/status", "{\"status\":\"online\",\"timestamp\":\"" + t.plusSeconds(5) + "\"}");
        device.publish("autocore/" + id + "/status", "{\"status\":\"offline\",\"timestamp\":\"" + t.plusSeconds(2) + "\"}");
        await().atMost(SOON).until(() -> Boolean.FALSE.equals(
                Sinks.rows("SELECT is_online FROM autocore.devices WHERE device_id = ?", id).get(0).get("is_online")));
        assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.connectivity_history WHERE device_id = ? AND NOT is_online", id));

        // EMS: OFFLINE (a will) after ONLINE, older, still applies, and is sent as an event
        String serial = "T-WILL-" + RUN;
        assertEquals(201, api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + serial + "\",\"siteId\":7,\"deviceType\":\"METER\"}").status());
        device.publish("sites/7/devices/" + serial + "/status", "{\"status\":\"ONLINE\",\"timestamp\":\"" + t.plusSeconds(5) + "\"}");
        device.publish("sites/7/devices/" + serial + "/status", "{\"status\":\"OFFLINE\",\"timestamp\":\"" + t.plusSeconds(2) + "\"}");
        await().atMost(SOON).until(() -> "OFFLINE".equals(
                Sinks.rows("SELECT status FROM ems_devices WHERE serial_number = ?", serial).get(0).get("status")));
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM ems_status_events WHERE serial_number = ? AND sent_at IS NOT NULL",
                serial) == 2);
    }

    @Test
    void anotherConnectionWithOurClientIdIsNamedAndItsMessagesStillLandOnce() throws Exception {
        String meter = Devices.uniquePrefix("takeover") + "meter";
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        org.eclipse.paho.mqttv5.client.MqttClient intruder = new org.eclipse.paho.mqttv5.client.MqttClient(
                "tcp://" + Sinks.env("MQTT_BROKER_HOST", "localhost") + ":" + Sinks.env("MQTT_BROKER_PORT", "1883"), CLIENT_ID + "-behaviour-energy",
                new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        org.eclipse.paho.mqttv5.client.MqttConnectionOptions o = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
        o.setUserName(Sinks.env("MQTT_USERNAME", "gridwire"));
        o.setPassword(Sinks.env("MQTT_PASSWORD", "gridwire-dev").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        o.setCleanStart(false); // a second instance started by mistake: same id, same kind of session
        o.setSessionExpiryInterval(600L);
        o.setAutomaticReconnect(true); // and it takes the session back whenever it loses it, like gridwire would
        o.setAutomaticReconnectDelay(1, 1);
        intruder.setManualAcks(true); // it takes messages and never acks them (it dies before it could)
        intruder.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
            public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) { }
            public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException e) { }
            public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage m) { }
            public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken t) { }
            public void connectComplete(boolean reconnect, String uri) { }
            public void authPacketArrived(int code, org.eclipse.paho.mqttv5.common.packet.MqttProperties p) { }
        });
        intruder.connect(o);
        try {
            await().atMost(SOON).until(() -> java.nio.file.Files.readString(gridwire.log()).contains(
                    "the broker handed this client id's session to another connection ("));
            for (int i = 0; i < 10; i++) {
                device.publishReading(meter, t0.plusSeconds(i), i, 230, 0.01, i);
            }
            JsonNode check = api.healthCheck("mqtt-energy");
            assertTrue(check.toString().contains("session taken over"), check.toString());
        } finally {
            intruder.disconnectForcibly(0, 1000, false); // gone without a word: its messages stay unacked in the session
            intruder.close();
        }
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", meter) == 10);
        Quiet.stays("each reading once", () -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", meter),
                10L, Duration.ofSeconds(1));
        assertTrue(java.nio.file.Files.readString(gridwire.log()).contains("Give each instance its own GRIDWIRE_INSTANCE_ID"));
    }

    @Test
    void messagesWithoutATimestampAreStoredOnceWhenRedeliveredOrRetained() throws Exception {
        String serial = "T-NOTS-" + RUN;
        assertEquals(201, api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + serial + "\",\"siteId\":7,\"deviceType\":\"METER\"}").status());
        try (Sinks.KafkaReader telemetry = new Sinks.KafkaReader("device-telemetry")) {
            // PostgreSQL away holds the batch unacked at the family's first stage (restarts in seconds, unlike Kafka)
            Services.stop("postgresql");
            try {
                // seed 003's own example has no timestamp: stamped on receipt
                for (int i = 0; i < 20; i++) {
                    device.publish("sites/7/devices/" + serial + "/telemetry", "{\"powerKw\":" + (45 + i) + "}");
                }
                await().atMost(SOON).until(() -> java.nio.file.Files.readString(gridwire.log())
                        .contains("sites: direct:sites-store unavailable (attempt"));
                // gridwire holds them unacked; the broker restarts and sends them again (DUP) on the new connection
                Services.stop("mosquitto");
                Services.start("mosquitto");
                // the 20 held in the batch waiting for PostgreSQL, plus their copies resent on the new connection
                await().atMost(SOON).until(() -> awaitingAck("sites-ingest") >= 40);
            } finally {
                Services.start("postgresql");
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> Sinks.count(
                    "SELECT count(*) FROM ems_telemetry_seen WHERE serial_number = ?", serial) >= 20);
            Quiet.stays("20 readings counted", () -> Sinks.count("SELECT count(*) FROM ems_telemetry_seen WHERE serial_number = ?",
                    serial), 20L, Duration.ofSeconds(2));
            long ids = telemetry.records(serial).stream().map(r -> Sinks.KafkaReader.headers(r).get("gridwire_message_id")).distinct().count();
            System.out.printf("no timestamp, redelivered: %d Kafka records, %d distinct ids, %d counted by analytics%n",
                    telemetry.records(serial).size(), ids, 20);
            assertEquals(20, ids, "a redelivered copy has the id of its first delivery");
        }

        // a retained message without a timestamp is not stored again when gridwire or the broker restarts
        String id = autocoreDevice("retained");
        device.publishRetained("autocore/" + id + "/telemetry", "{\"temperature\":21.5}");
        try {
            await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id) == 1);
            gridwire.stop();
            gridwire.start();
            Services.stop("mosquitto");
            Services.start("mosquitto");
            await().atMost(SOON).until(() -> api.healthCheck("mqtt-autocore").path("status").asText().equals("UP"));
            Quiet.stays("the retained reading once", () -> Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", id),
                    1L, Duration.ofSeconds(3));
        } finally {
            // clears the retained message (the test's client may still be reconnecting after the broker restart)
            await().atMost(SOON).ignoreExceptions().until(() -> {
                device.publishRetained("autocore/" + id + "/telemetry", "");
                return true;
            });
        }
    }

    @Test
    void aQos2SubscriptionLosesNothingWhenGridwireIsKilledWhileTheDatabaseIsDown() throws Exception {
        String host = Sinks.env("MQTT_BROKER_HOST", "localhost");
        String port = Sinks.env("MQTT_BROKER_PORT", "1883");
        String user = Sinks.env("MQTT_USERNAME", "gridwire");
        String password = Sinks.env("MQTT_PASSWORD", "gridwire-dev");
        long pdu = api.post("/pdus", "{\"name\":\"t-qos2-" + RUN + "\",\"mqtt_base_topic\":\"qos2/" + RUN + "\"}").json().get("id").asLong();
        Api.Response s = api.post("/pdus/" + pdu + "/sockets", "{\"socket_number\":1,\"mqtt_topic_suffix\":\"s1\",\"mqtt_broker_host\":\""
                + host + "\",\"mqtt_broker_port\":" + port + ",\"mqtt_credentials\":{\"username\":\"" + user + "\",\"password\":\""
                + password + "\"},\"mqtt_config\":{\"qos\":2,\"clean_session\":false}}");
        assertEquals(201, s.status(), s.toString());
        long socket = s.json().get("id").asLong();
        String deviceId = "t-qos2-" + RUN;
        assertEquals(201, api.post("/mqtt/devices", "{\"device_id\":\"" + deviceId + "\",\"socket_id\":" + socket + "}").status());
        await().atMost(SOON).until(() -> api.get("/sockets/" + socket + "/mqtt-status").json().get("connected").asBoolean());

        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(120);
        try (Devices pduPublisher = new Devices(host, Integer.parseInt(port), user, password).qos(2)) {
            Services.stop("postgresql");
            try {
                for (int i = 0; i < 20; i++) {
                    pduPublisher.publish("qos2/" + RUN + "/s1", "{\"power\":" + i + ",\"timestamp\":\"" + t0.plusSeconds(i) + "\"}");
                }
                // gridwire has them (its PDU batch waits for PostgreSQL), then dies without a word
                await().atMost(SOON).until(() -> awaitingAck("pdu-broker-") >= 20);
                gridwire.kill();
            } finally {
                Services.start("postgresql");
            }
        }
        gridwire.start();
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM pdu.device_data_logs WHERE device_id = ?", deviceId) == 20);
        Quiet.stays("20 rows, each once", () -> Sinks.count("SELECT count(*) FROM pdu.device_data_logs WHERE device_id = ?", deviceId),
                20L, Duration.ofSeconds(2));
        assertTrue(java.nio.file.Files.readString(gridwire.log()).contains("configured at QoS 2, subscribed at QoS 1"),
                "the log says how QoS 2 is taken");
    }
}
