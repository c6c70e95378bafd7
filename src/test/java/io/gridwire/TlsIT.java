package io.gridwire;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.gridwire.platform.TlsContexts;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import io.gridwire.support.TestCertificates;
import io.gridwire.support.TestRun;
import io.gridwire.support.TlsTerminator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every connection over TLS against the real services (scripts/services.sh's development CA): gridwire's MQTT
 * connections to Mosquitto's TLS listener with a client certificate (the listener requires one), PostgreSQL with
 * sslmode=verify-full, Kafka over SASL_SSL with a SCRAM account of this test's own, the InfluxDB v2 API over HTTPS
 * (QuestDB behind a TLS terminator), and a PDU socket broker over mutual TLS. Each family's message sent by a device
 * over TLS lands in its sinks; a wrong CA and a missing client certificate are refused with a log line saying so;
 * neither the Kafka password nor a private key shows in the log or an API answer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsIT {

    private static final Path TLS = Path.of(Sinks.env("GRIDWIRE_DATA", ".gridwire-data"), "tls");
    private static final int MQTT_TLS_PORT = Integer.parseInt(Sinks.env("MQTT_TLS_PORT", "8883"));
    private static final String KAFKA_SASL_SSL = "localhost:" + Sinks.env("KAFKA_SASL_SSL_PORT", "9094");
    private static final String KAFKA_USER = "t-tls-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String KAFKA_PASSWORD = "kafka-secret-" + UUID.randomUUID();
    private static final String MASK = "********";

    @TempDir
    static Path tmp;
    private static Path otherCa;
    private static TlsTerminator https;
    private static GridwireProcess gridwire;
    private static Api api;

    @BeforeAll
    static void start() throws Exception {
        TestRun.databaseUrl();
        // a SCRAM account only this run knows: its password must never show
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", Sinks.env("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(KAFKA_USER,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), KAFKA_PASSWORD))).all().get(20, TimeUnit.SECONDS);
        }
        otherCa = Files.writeString(tmp.resolve("other-ca.crt"), TestCertificates.selfSigned("not gridwire's CA", "RSA").certificatePem());
        https = new TlsTerminator(TlsContexts.context(new TlsContexts.Material(null, pem("server.crt"), pem("server.key"), "test server")),
                Integer.parseInt(Sinks.env("QUESTDB_HTTP_PORT", "9000")));
        String db = TestRun.databaseUrl();
        gridwire = new GridwireProcess("tls", Map.ofEntries(
                Map.entry("MQTT_BROKER_PORT", String.valueOf(MQTT_TLS_PORT)),
                Map.entry("MQTT_TLS_ENABLED", "true"),
                Map.entry("MQTT_TLS_CAFILE", TLS.resolve("ca.crt").toString()),
                Map.entry("MQTT_TLS_CERTFILE", TLS.resolve("gridwire.crt").toString()),
                Map.entry("MQTT_TLS_KEYFILE", TLS.resolve("gridwire.key").toString()),
                Map.entry("DB_URL", db + (db.contains("?") ? "&" : "?") + "sslmode=verify-full&sslrootcert=" + TLS.resolve("ca.crt")),
                Map.entry("KAFKA_BOOTSTRAP_SERVERS", KAFKA_SASL_SSL),
                Map.entry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                Map.entry("KAFKA_SASL_USERNAME", KAFKA_USER),
                Map.entry("KAFKA_SASL_PASSWORD", KAFKA_PASSWORD),
                Map.entry("KAFKA_TLS_CAFILE", TLS.resolve("ca.crt").toString()),
                Map.entry("INFLUX_URL", "https://localhost:" + https.port()),
                Map.entry("INFLUX_TLS_CAFILE", TLS.resolve("ca.crt").toString()))).start();
        api = new Api(gridwire.httpPort());
    }

    @AfterAll
    static void stop() throws Exception {
        if (gridwire != null) {
            gridwire.stop();
        }
        if (https != null) {
            https.close();
        }
        Sinks.removeTestPdus("t-tls-");
    }

    private static String pem(String file) throws Exception {
        return Files.readString(TLS.resolve(file));
    }

    private static javax.net.ssl.SSLSocketFactory deviceTls() throws Exception {
        return TlsContexts.context(new TlsContexts.Material(pem("ca.crt"), pem("device.crt"), pem("device.key"), "device")).getSocketFactory();
    }

    @Test
    void everyFamilyOverTlsLandsInItsSinks() throws Exception {
        String c = UUID.randomUUID().toString().substring(0, 6);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600);
        String serial = "TLS-" + c;
        assertEquals(201, api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + serial + "\",\"siteId\":7,\"deviceType\":\"METER\"}").status());
        long socket = tlsSocket("t-tls-" + c, "tls/" + c, pem("ca.crt"), true);
        assertEquals(201, api.post("/mqtt/devices", "{\"device_id\":\"t-tls-" + c + "\",\"socket_id\":" + socket + "}").status());
        await("the PDU socket's broker connection over mutual TLS").atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/sockets/" + socket + "/mqtt-status").json().get("connected").asBoolean());

        try (KafkaReader energyKafka = new KafkaReader("energy-readings"); KafkaReader telemetryKafka = new KafkaReader("device-telemetry");
             Devices device = Devices.tls(MQTT_TLS_PORT, Sinks.env("MQTT_DEVICE_USERNAME", "device"),
                     Sinks.env("MQTT_DEVICE_PASSWORD", "device-dev"), deviceTls());
             Devices pduBroker = Devices.tls(MQTT_TLS_PORT, Sinks.env("MQTT_USERNAME", "gridwire"), Sinks.env("MQTT_PASSWORD", "gridwire-dev"),
                     TlsContexts.context(new TlsContexts.Material(pem("ca.crt"), pem("gridwire.crt"), pem("gridwire.key"), "pdu")).getSocketFactory())) {
            device.publish("energy/devices/t-tls-e" + c + "/data", Devices.reading("t-tls-e" + c, t0, 12.5, 231, 1, 99));
            device.publish("autocore/t-tls-a" + c + "/telemetry", "{\"temperature\":21,\"timestamp\":\"" + t0 + "\"}");
            device.publish("sites/7/devices/" + serial + "/telemetry", "{\"powerKw\":3.5,\"timestamp\":\"" + t0 + "\"}");
            device.publish("energy/events/devices/t-tls-v" + c + "/device.created", "{\"event_type\":\"device.created\",\"device_id\":\"t-tls-v"
                    + c + "\",\"timestamp\":\"" + t0 + "\",\"device_data\":{\"name\":\"t\",\"type\":\"sensor\"},\"metadata\":{\"source\":\"test\"}}");
            pduBroker.publish("tls/" + c + "/s1", "{\"voltage\":230,\"power\":7,\"timestamp\":\"" + t0 + "\"}");

            await("every family's message in its sinks").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertEquals(1, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", "t-tls-e" + c), "device_readings");
                assertEquals(1, Sinks.points("select count() c from energy_readings where device_id = 't-tls-e" + c + "'").get(0).get("c").asLong(),
                        "energy_readings in the TSDB (over HTTPS)");
                assertEquals(1, energyKafka.records("t-tls-e" + c).size(), "energy-readings (over SASL_SSL)");
                assertEquals(1, Sinks.count("SELECT count(*) FROM autocore.telemetry WHERE device_id = ?", "t-tls-a" + c), "autocore.telemetry");
                assertEquals(1, Sinks.points("select count() c from autocore_telemetry where device_id = 't-tls-a" + c + "'").get(0).get("c").asLong(),
                        "autocore_telemetry in the TSDB");
                assertEquals(1, telemetryKafka.records(serial).size(), "device-telemetry");
                assertEquals(1, Sinks.count("SELECT count(*) FROM mock_devices WHERE id = ?", "mock-real-t-tls-v" + c), "device event");
                assertEquals(1, Sinks.count("SELECT count(*) FROM pdu.device_data_logs WHERE device_id = ?", "t-tls-" + c), "PDU reading");
            });
        }
        assertEquals(0, Sinks.count("SELECT count(*) FROM dead_letters WHERE topic LIKE ? OR topic LIKE ?", "%tls%" + c + "%", "%" + serial + "%"));
        assertTrue(https.connections() > 0, "gridwire wrote to the TSDB over HTTPS");
        // every connection gridwire holds to its database is encrypted
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Map<String, Object>> sessions = Sinks.rows("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid "
                                                            + "WHERE a.application_name = 'gridwire' AND a.datname = current_database()");
            assertFalse(sessions.isEmpty());
            assertTrue(sessions.stream().allMatch(r -> Boolean.TRUE.equals(r.get("ssl"))), "unencrypted gridwire sessions: " + sessions);
        });
        String log = Files.readString(gridwire.log());
        assertTrue(log.contains("connected to ssl://localhost:" + MQTT_TLS_PORT), "MQTT over TLS in the log");
        assertEquals("UP", api.get("/observe/health").json().get("status").asText(), api.get("/observe/health").text());
    }

    @Test
    void aWrongCaAndAMissingClientCertificateAreRefusedWithAReason() throws Exception {
        String c = UUID.randomUUID().toString().substring(0, 6);
        long wrongCa = tlsSocket("t-tls-ca" + c, "tlsca/" + c, Files.readString(otherCa), true);
        long noCertificate = tlsSocket("t-tls-nc" + c, "tlsnc/" + c, pem("ca.crt"), false);
        await("both refusals reported").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var status = api.get("/sockets/" + wrongCa + "/mqtt-status").json();
            assertFalse(status.get("connected").asBoolean());
            assertTrue(status.toString().contains("TLS handshake failed") && status.toString().contains("does not chain to a trusted CA"),
                    status.toString());
            var other = api.get("/sockets/" + noCertificate + "/mqtt-status").json();
            assertFalse(other.get("connected").asBoolean(), other.toString());
        });
        String log = Files.readString(gridwire.log());
        assertTrue(log.lines().anyMatch(l -> l.contains("cannot connect to ssl://localhost:" + MQTT_TLS_PORT)
                                             && l.contains("TLS handshake failed") && l.contains("does not chain to a trusted CA")),
                "a log line names the untrusted certificate");
        assertTrue(log.lines().anyMatch(l -> l.contains("-pdu-") && l.contains("cannot connect to ssl://") && !l.contains("does not chain")),
                "a log line reports the connection without a client certificate refused");
    }

    @Test
    void noSecretInTheLogOrAnApiAnswer() throws Exception {
        String c = UUID.randomUUID().toString().substring(0, 6);
        long socket = tlsSocket("t-tls-s" + c, "tlss/" + c, pem("ca.crt"), true);
        var shown = api.get("/sockets/" + socket).json().get("mqtt_credentials");
        assertEquals(MASK, shown.get("client_key").asText());
        assertEquals(MASK, shown.get("client_cert").asText());
        assertEquals(MASK, shown.get("ca_cert").asText());
        // sent back masked, the stored PEM texts stay: the socket still connects
        assertEquals(200, api.put("/sockets/" + socket + "/mqtt-config", "{\"mqtt_credentials\":" + shown + "}").status());
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/sockets/" + socket + "/mqtt-status").json().get("connected").asBoolean());
        String health = api.get("/observe/health?exposureLevel=full&data=true").text();
        String key = pem("gridwire.key");
        String keyBody = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        for (String answer : List.of(health, api.get("/sockets/" + socket).text(), api.get("/sockets/" + socket + "/mqtt-status").text(),
                Files.readString(gridwire.log()))) {
            assertFalse(answer.contains(KAFKA_PASSWORD), "the Kafka password shows");
            assertFalse(answer.contains(keyBody) || answer.contains("PRIVATE KEY"), "a private key shows");
        }
        // a PEM text that is no key is refused naming the field
        var refused = api.post("/pdus/" + api.get("/sockets/" + socket).json().get("pdu_id").asLong() + "/sockets",
                "{\"socket_number\":9,\"mqtt_topic_suffix\":\"x\",\"mqtt_broker_host\":\"localhost\",\"mqtt_broker_port\":" + MQTT_TLS_PORT
                + ",\"mqtt_credentials\":{\"client_cert\":" + json(pem("gridwire.crt")) + ",\"client_key\":\"not a key\"},"
                + "\"mqtt_config\":{\"tls\":true}}");
        assertEquals(400, refused.status(), refused.text());
        assertTrue(refused.text().contains("mqtt_credentials.client_key") && refused.text().contains("private key"), refused.text());
    }

    /** Last: it replaces the class's gridwire with one that trusts another CA. */
    @Test
    @Order(Integer.MAX_VALUE)
    void gridwireTrustingAnotherCaDoesNotConnectAndSaysWhy() throws Exception {
        gridwire.stop();
        GridwireProcess untrusting = new GridwireProcess("tls-wrong-ca", Map.of(
                "MQTT_BROKER_PORT", String.valueOf(MQTT_TLS_PORT), "MQTT_TLS_ENABLED", "true",
                "MQTT_TLS_CAFILE", otherCa.toString(), "MQTT_TLS_CERTFILE", TLS.resolve("gridwire.crt").toString(),
                "MQTT_TLS_KEYFILE", TLS.resolve("gridwire.key").toString()));
        try {
            untrusting.start(GridwireProcess.ROUTES_STARTED);
            Api other = new Api(untrusting.httpPort());
            await("the MQTT health check names the refused certificate").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                var check = other.healthCheck("mqtt-energy");
                assertEquals("DOWN", check.get("status").asText(), check.toString());
                assertTrue(check.toString().contains("does not chain to a trusted CA"), check.toString());
            });
            assertTrue(Files.readString(untrusting.log()).lines().anyMatch(l -> l.contains("-energy cannot connect to ssl://localhost:" + MQTT_TLS_PORT)
                                                                               && l.contains("TLS handshake failed: PKIX path building failed")),
                    "the log line says the handshake failed and why");
        } finally {
            untrusting.stop();
        }
    }

    /** A PDU with one socket on Mosquitto's TLS listener as the gridwire account: the given CA, with or without its certificate. */
    private static long tlsSocket(String name, String baseTopic, String caPem, boolean clientCertificate) throws Exception {
        long pdu = api.post("/pdus", "{\"name\":\"" + name + "\",\"mqtt_base_topic\":\"" + baseTopic + "\"}").json().get("id").asLong();
        String creds = "{\"username\":\"" + Sinks.env("MQTT_USERNAME", "gridwire") + "\",\"password\":\"" + Sinks.env("MQTT_PASSWORD", "gridwire-dev")
                       + "\",\"ca_cert\":" + json(caPem)
                       + (clientCertificate ? ",\"client_cert\":" + json(pem("gridwire.crt")) + ",\"client_key\":" + json(pem("gridwire.key")) : "")
                       + "}";
        Api.Response r = api.post("/pdus/" + pdu + "/sockets", "{\"socket_number\":1,\"mqtt_topic_suffix\":\"s1\",\"mqtt_broker_host\":\"localhost\","
                                                            + "\"mqtt_broker_port\":" + MQTT_TLS_PORT + ",\"mqtt_credentials\":" + creds
                                                            + ",\"mqtt_config\":{\"qos\":1,\"tls\":true}}");
        assertEquals(201, r.status(), r.text());
        return r.json().get("id").asLong();
    }

    private static String json(String text) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(text);
    }
}
