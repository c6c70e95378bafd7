package io.gridwire.pdu;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.TestRun;
import io.gridwire.support.SecondBroker;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 004 PDU sockets with live subscriptions: real Mosquitto (plus a second Mosquitto on its own port for the
 * per-socket broker case) and real PostgreSQL; gridwire as its own process.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@SharedGridwire
class PduIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String MAIN_HOST = Sinks.env("MQTT_BROKER_HOST", "localhost");
    private static final int MAIN_PORT = Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883"));
    private static final String USER = Sinks.env("MQTT_USERNAME", "gridwire");
    private static final String PASSWORD = Sinks.env("MQTT_PASSWORD", "gridwire-dev");

    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices pduPublisher;
    private static long pduId;
    private static long socket1;
    private static long socket2;

    @BeforeAll
    static void start() throws Exception {
        gridwire = TestRun.sharedGridwire(PduIT.class);
        cleanUp(); // after start: the migrations have run
        api = new Api(gridwire.httpPort());
        // the PDUs publish with an account allowed on their topics (gridwire's, in this test)
        pduPublisher = new Devices(MAIN_HOST, MAIN_PORT, USER, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pduPublisher != null) {
            pduPublisher.close();
        }
        cleanUp();
    }

    /** The seed's example topic is fixed: remove what earlier runs left. */
    private static void cleanUp() {
        Sinks.removeTestPdus("t-");
    }

    private static String socketJson(int number, String suffix, String host, int port, String credentials) {
        return "{\"socket_number\":" + number + ",\"mqtt_topic_suffix\":\"" + suffix + "\",\"mqtt_broker_host\":\"" + host
               + "\",\"mqtt_broker_port\":" + port + ",\"mqtt_credentials\":" + credentials
               + ",\"mqtt_config\":{\"qos\":1,\"retain\":false,\"keepalive\":30,\"clean_session\":false}}";
    }

    private static String mainCredentials() {
        return "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}";
    }

    private static long logs(String device, long socket) {
        return Sinks.count("SELECT count(*) FROM pdu.device_data_logs WHERE device_id = ? AND socket_id = ?", device, socket);
    }

    private static JsonNode status(long socket) {
        return api.get("/sockets/" + socket + "/mqtt-status").json();
    }

    @Test
    @Order(1)
    void theSeedsExampleStoresTheLogRowAndTheCurrentState() throws Exception {
        Api.Response pdu = api.post("/pdus", "{\"name\":\"t-pdu-" + RUN + "\",\"organisation\":\"hopt\",\"department\":\"tang3\","
                                             + "\"location\":\"room 3\",\"mqtt_base_topic\":\"hopt/tang3/pkt\"}");
        assertEquals(201, pdu.status(), pdu.toString());
        pduId = pdu.json().get("id").asLong();
        Api.Response s1 = api.post("/pdus/" + pduId + "/sockets", socketJson(1, "socket1", MAIN_HOST, MAIN_PORT, mainCredentials()));
        assertEquals(201, s1.status(), s1.toString());
        socket1 = s1.json().get("id").asLong();
        assertEquals("hopt/tang3/pkt/socket1", s1.json().get("mqtt_topic").asText());
        socket2 = api.post("/pdus/" + pduId + "/sockets", socketJson(2, "socket2", MAIN_HOST, MAIN_PORT, mainCredentials()))
                .json().get("id").asLong();

        Api.Response assigned = api.post("/mqtt/devices", "{\"device_id\":\"t-dev-" + RUN + "\",\"socket_id\":" + socket1 + "}");
        assertEquals(201, assigned.status(), assigned.toString());
        await().atMost(SOON).until(() -> status(socket1).get("connected").asBoolean());

        pduPublisher.publish("hopt/tang3/pkt/socket1", "{\"voltage\":230.4,\"current\":1.25,\"power\":288.0,\"energy\":12.5,"
                                                       + "\"temperature\":31.5,\"timestamp\":\"" + Instant.now() + "\"}");
        String device = "t-dev-" + RUN;
        await().atMost(SOON).until(() -> logs(device, socket1) == 1);
        Map<String, Object> state = Sinks.rows("SELECT socket_id, voltage, current, power, energy, temperature FROM "
                                               + "pdu.device_current_state WHERE device_id = ?", device).get(0);
        assertEquals(socket1, state.get("socket_id"));
        assertEquals(230.4, state.get("voltage"));
        assertEquals(1.25, state.get("current"));
        assertEquals(288.0, state.get("power"));
        assertEquals(12.5, state.get("energy"));
        JsonNode st = status(socket1);
        assertEquals(1, st.get("message_count").asInt());
        assertNotNull(st.get("last_message_time").textValue());
        assertEquals("hopt/tang3/pkt/socket1", st.get("topic").asText());
    }

    @Test
    @Order(2)
    void credentialsAreNeverReturnedInClear() {
        for (String path : new String[] {"/sockets/" + socket1, "/sockets/" + socket1 + "/mqtt-config", "/mqtt/devices",
                                         "/mqtt/devices/t-dev-" + RUN, "/pdus/" + pduId, "/pdus"}) {
            Api.Response r = api.get(path);
            assertEquals(200, r.status(), path);
            assertFalse(r.text().contains(PASSWORD), path + " shows the password");
        }
        assertEquals("********", api.get("/sockets/" + socket1 + "/mqtt-config").json().get("mqtt_credentials").get("password").asText());
    }

    @Test
    @Order(3)
    void reassigningTheDeviceMovesItsData() throws Exception {
        String device = "t-dev-" + RUN;
        Api.Response moved = api.post("/mqtt/devices", "{\"device_id\":\"" + device + "\",\"socket_id\":" + socket2 + "}");
        assertEquals(201, moved.status(), moved.toString());
        assertTrue(api.get("/sockets/" + socket1).json().get("device_id").isNull(), "the old socket is free");
        await().atMost(SOON).until(() -> status(socket2).get("connected").asBoolean());
        pduPublisher.publish("hopt/tang3/pkt/socket2", "{\"voltage\":231,\"timestamp\":\"" + Instant.now() + "\"}");
        await().atMost(SOON).until(() -> logs(device, socket2) == 1);
        assertEquals(socket2, Sinks.rows("SELECT socket_id FROM pdu.device_current_state WHERE device_id = ?", device).get(0).get("socket_id"));
        // the socket without a device: its message is a dead letter with that reason
        pduPublisher.publish("hopt/tang3/pkt/socket1", "{\"voltage\":1}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE topic = 'hopt/tang3/pkt/socket1' "
                                                      + "AND reason = ? AND received_at > now() - interval '1 minute'",
                "socket " + socket1 + " has no device assigned") >= 1);
    }

    @Test
    @Order(4)
    void changingASuffixMovesTheSubscriptionLive() throws Exception {
        String device = "t-dev-" + RUN;
        Api.Response changed = api.put("/mqtt/devices/" + device, "{\"mqtt_topic_suffix\":\"socket2b\"}");
        assertEquals(200, changed.status(), changed.toString());
        assertEquals("hopt/tang3/pkt/socket2b", changed.json().get("mqtt_topic").asText());
        long before = logs(device, socket2);
        // the unsubscribe and subscribe are asynchronous at the broker: wait for the SUBACK of the new topic
        await().atMost(SOON).until(() -> java.nio.file.Files.readString(gridwire.log()).contains("subscribed to hopt/tang3/pkt/socket2b"));
        pduPublisher.publish("hopt/tang3/pkt/socket2", "{\"voltage\":1,\"timestamp\":\"" + Instant.now() + "\"}");
        pduPublisher.publish("hopt/tang3/pkt/socket2b", "{\"voltage\":2,\"timestamp\":\"" + Instant.now().plusMillis(5) + "\"}");
        await().atMost(SOON).until(() -> logs(device, socket2) == before + 1);
        Quiet.stays("the old topic is no longer consumed", () -> logs(device, socket2), before + 1, Duration.ofSeconds(1));
        assertEquals(2.0, Sinks.rows("SELECT voltage FROM pdu.device_current_state WHERE device_id = ?", device).get(0).get("voltage"));
    }

    @Test
    @Order(5)
    void aSocketOnASecondBrokerReceivesItsMessagesAndItsStatusFollowsTheBroker() throws Exception {
        try (SecondBroker second = new SecondBroker().start()) {
            Api.Response s3 = api.post("/pdus/" + pduId + "/sockets", socketJson(3, "socket3", "localhost", second.port(), "{}"));
            assertEquals(201, s3.status(), s3.toString());
            long socket3 = s3.json().get("id").asLong();
            String device = "t-dev3-" + RUN;
            assertEquals(201, api.post("/mqtt/devices", "{\"device_id\":\"" + device + "\",\"socket_id\":" + socket3 + "}").status());
            await().atMost(SOON).until(() -> status(socket3).get("connected").asBoolean());
            try (Devices other = new Devices("localhost", second.port(), null, null)) {
                other.publish("hopt/tang3/pkt/socket3", "{\"power\":50,\"timestamp\":\"" + Instant.now() + "\"}");
            }
            await().atMost(SOON).until(() -> logs(device, socket3) == 1);
            assertTrue(status(socket1).get("connected").asBoolean(), "the main broker's sockets are not disturbed");

            second.stop();
            await().atMost(SOON).until(() -> !status(socket3).get("connected").asBoolean());
            assertNotNull(status(socket3).get("last_error").textValue(), "the status says what went wrong");
            // one socket's broker is not gridwire's own dependency: named DOWN in the detail, gridwire stays ready
            await().atMost(SOON).until(() -> api.healthCheck("mqtt-pdu-brokers").toString().contains("DOWN"));
            assertEquals(200, api.get("/observe/health").status(), api.get("/observe/health").text());
            assertTrue(api.get("/observe/metrics").text().contains("gridwire_pdu_brokers{state=\"down\"} 1.0"),
                    "a metric counts it");
            second.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> status(socket3).get("connected").asBoolean());
            try (Devices other = new Devices("localhost", second.port(), null, null)) {
                await().atMost(SOON).until(() -> {
                    other.publish("hopt/tang3/pkt/socket3", "{\"power\":51,\"timestamp\":\"" + Instant.now() + "\"}");
                    return logs(device, socket3) >= 2;
                });
            }
            assertEquals(204, api.delete("/mqtt/devices/" + device).status());
            assertEquals(204, api.delete("/sockets/" + socket3).status());
        }
    }

    @Test
    @Order(6)
    void invalidTopicsAndConflictsAreRefused() {
        String[][] bad = {{"a/+/b", "wildcards"}, {"a/#", "wildcards"}, {"a//b", "empty topic levels"}, {"a/b/", "start or end with '/'"},
                          {"/a", "start or end with '/'"}, {"", "required"}};
        for (String[] b : bad) {
            Api.Response r = api.post("/pdus", "{\"name\":\"t-bad\",\"mqtt_base_topic\":\"" + b[0] + "\"}");
            assertEquals(400, r.status(), b[0] + ": " + r);
            assertTrue(r.json().get("error").asText().contains(b[1]), b[0] + ": " + r);
        }
        Api.Response suffix = api.post("/pdus/" + pduId + "/sockets", socketJson(9, "s/#", MAIN_HOST, MAIN_PORT, "{}"));
        assertEquals(400, suffix.status(), suffix.toString());
        assertEquals(400, api.post("/pdus/" + pduId + "/sockets", "{\"socket_number\":9,\"mqtt_topic_suffix\":\"s9\","
                                                              + "\"mqtt_broker_host\":\"localhost\",\"mqtt_config\":{\"qos\":3}}").status());

        // a second PDU with the same base topic: the same suffix on the same broker is a conflict ...
        long other = api.post("/pdus", "{\"name\":\"t-pdu2-" + RUN + "\",\"mqtt_base_topic\":\"hopt/tang3/pkt\"}").json().get("id").asLong();
        Api.Response clash = api.post("/pdus/" + other + "/sockets", socketJson(1, "socket1", MAIN_HOST, MAIN_PORT, "{}"));
        assertEquals(409, clash.status(), clash.toString());
        assertTrue(clash.json().get("error").asText().contains("hopt/tang3/pkt/socket1"), clash.toString());
        // ... on another broker it is not
        assertEquals(201, api.post("/pdus/" + other + "/sockets", socketJson(1, "socket1", "127.0.0.1", 18830, "{}")).status());
        // a suffix change into an existing topic is a conflict too
        assertEquals(409, api.put("/sockets/" + socket1 + "/mqtt-config", "{\"mqtt_topic_suffix\":\"socket2b\"}").status());

        assertEquals(401, api.withToken(null).post("/pdus", "{\"name\":\"t-x\",\"mqtt_base_topic\":\"x\"}").status());
        assertEquals(404, api.get("/sockets/999999999").status());
        assertEquals(404, api.get("/mqtt/devices/nobody").status());
        assertEquals(409, api.delete("/pdus/" + pduId).status(), "a PDU with sockets is not deleted");
    }
}
