package io.gridwire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.IntFunction;

import io.gridwire.support.Quiet;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.TestRun;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A generated corpus of bad messages on every subscribed topic family, valid messages interleaved: every bad
 * message must give exactly one dead letter whose reason names the problem, every valid one must land, the routes
 * stay up and the heap stays within its -Xmx512m. A family is one line in FAMILIES.
 */
@SharedGridwire
class HostileInputIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final int ROUNDS = 14;
    private static final Random RANDOM = new Random(7);

    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices device;
    private static Devices pduPublisher;

    /** A topic family: where its messages go, a valid payload, what only it refuses, and how to count what landed. */
    record Family(String route, IntFunction<String> topic, IntFunction<String> valid, List<IntFunction<String>> ownBad,
                  String landedSql, Devices[] publisher) {
    }

    private static final Map<String, Family> FAMILIES = new LinkedHashMap<>();

    private static String ts(int i) {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(600).plusMillis(i * 10L).toString();
    }

    @BeforeAll
    static void start() throws Exception {
        gridwire = TestRun.sharedGridwire(HostileInputIT.class);
        api = new Api(gridwire.httpPort());
        device = new Devices();
        pduPublisher = new Devices(Sinks.env("MQTT_BROKER_HOST", "localhost"), Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883")),
                Sinks.env("MQTT_USERNAME", "gridwire"), Sinks.env("MQTT_PASSWORD", "gridwire-dev"));
        Devices[] dev = {device};
        Devices[] pdu = {pduPublisher};
        // targets the valid messages need
        assertEquals(201, api.post("/api/v1/devices", "{\"id\":\"t-hostile-" + RUN + "\",\"name\":\"t-hostile\",\"type\":\"meter\"}").status());
        assertEquals(201, api.post("/api/v1/ems/devices", "{\"serialNumber\":\"H-" + RUN + "\",\"siteId\":3,\"deviceType\":\"METER\"}").status());
        long pduId = api.post("/pdus", "{\"name\":\"t-hostile-" + RUN + "\",\"mqtt_base_topic\":\"hostile/" + RUN + "\"}").json().get("id").asLong();
        long socket = api.post("/pdus/" + pduId + "/sockets", "{\"socket_number\":1,\"mqtt_topic_suffix\":\"s1\",\"mqtt_broker_host\":\""
                + Sinks.env("MQTT_BROKER_HOST", "localhost") + "\",\"mqtt_broker_port\":" + Sinks.env("MQTT_BROKER_PORT", "1883")
                + ",\"mqtt_credentials\":{\"username\":\"" + Sinks.env("MQTT_USERNAME", "gridwire") + "\",\"password\":\""
                + Sinks.env("MQTT_PASSWORD", "gridwire-dev") + "\"}}").json().get("id").asLong();
        assertEquals(201, api.post("/mqtt/devices", "{\"device_id\":\"t-hostile-pdu-" + RUN + "\",\"socket_id\":" + socket + "}").status());
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/sockets/" + socket + "/mqtt-status").json().get("connected").asBoolean());

        FAMILIES.put("energy-data", new Family("energy-telemetry-ingest", i -> "energy/devices/t-h" + RUN + "-" + i + "/data",
                i -> "{\"timestamp\":\"" + ts(i) + "\",\"power\":1.5,\"voltage\":230,\"current\":0.1,\"energy\":" + i + "}",
                List.of(i -> "{\"timestamp\":\"" + ts(i) + "\",\"power\":1,\"voltage\":230,\"current\":0.1,\"energy\":-5}",
                        i -> "{\"timestamp\":\"" + ts(i) + "\",\"voltage\":230,\"current\":0.1,\"energy\":1}",
                        i -> "{\"timestamp\":\"" + ts(i) + "\",\"power\":\"high\",\"voltage\":230,\"current\":0.1,\"energy\":1}",
                        i -> "{\"timestamp\":\"2999-01-01T00:00:00Z\",\"power\":1,\"voltage\":230,\"current\":0.1,\"energy\":1}"),
                "SELECT count(*) FROM device_readings WHERE device_id LIKE 't-h" + RUN + "-%'", dev));
        FAMILIES.put("energy-commands", new Family("mock-device-commands", i -> "energy/devices/t-hostile-" + RUN + "/commands",
                i -> null,
                List.of(i -> "{\"command\":\"self_destruct_" + i + "\"}", i -> "{\"parameters\":{}}",
                        i -> "{\"command\":\"set_power\",\"parameters\":{\"power\":1e999}}", i -> "{\"command\":42}"),
                null, dev));
        FAMILIES.put("device-events", new Family("device-events-sync",
                i -> "energy/events/devices/t-he" + RUN + "-" + i + "/device.updated",
                i -> "{\"event_type\":\"device.updated\",\"device_id\":\"t-he" + RUN + "-" + i + "\",\"timestamp\":\"" + ts(i)
                     + "\",\"device_data\":{\"name\":\"t-he\",\"type\":\"meter\"}}",
                List.of(i -> "{\"event_type\":\"device.exploded\",\"device_id\":\"t-he" + RUN + "-" + i + "\",\"timestamp\":\"" + ts(i) + "\"}",
                        i -> "{\"event_type\":\"device.updated\",\"device_id\":\"t-he" + RUN + "-" + i + "\"}",
                        i -> "{\"event_type\":\"device.updated\",\"device_id\":\"t-he" + RUN + "-" + i + "\",\"timestamp\":\"" + ts(i)
                             + "\",\"device_data\":{\"base_power\":\"lots\"}}"),
                "SELECT count(*) FROM mock_devices WHERE id LIKE 'mock-real-t-he" + RUN + "-%'", dev));
        FAMILIES.put("autocore", new Family("autocore-ingest", i -> "autocore/t-ha" + RUN + "-" + i + "/telemetry",
                i -> "{\"temperature\":" + (20 + i % 5) + ",\"timestamp\":\"" + ts(i) + "\"}",
                List.of(i -> "{\"label\":\"no numbers\"}", i -> "{\"temperature\":1e999}",
                        i -> "{\"device_id\":\"someone-else\",\"t\":1}", i -> "{\"t\":1,\"timestamp\":\"1900-01-01T00:00:00Z\"}"),
                "SELECT count(*) FROM autocore.telemetry WHERE device_id LIKE 't-ha" + RUN + "-%'", dev));
        FAMILIES.put("sites", new Family("sites-ingest", i -> "sites/3/devices/H-" + RUN + "/telemetry",
                i -> "{\"powerKw\":" + i + ",\"timestamp\":\"" + ts(i) + "\"}",
                List.of(i -> "{\"powerKw\":\"lots\"}", i -> "{\"temperature\":\"hot\"}", i -> "{\"voltage\":1e999}",
                        i -> "{\"powerKw\":1,\"timestamp\":\"not a time\"}"),
                "SELECT count(*) FROM ems_telemetry_seen WHERE serial_number = 'H-" + RUN + "'", dev));
        FAMILIES.put("pdu-sockets", new Family("pdu-broker-", i -> "hostile/" + RUN + "/s1",
                i -> "{\"voltage\":230,\"power\":" + i + ",\"timestamp\":\"" + ts(i) + "\"}",
                List.of(i -> "{\"voltage\":\"230V\"}", i -> "{\"power\":1e999}", i -> "{\"timestamp\":\"2999-01-01T00:00:00Z\"}"),
                "SELECT count(*) FROM pdu.device_data_logs WHERE device_id = 't-hostile-pdu-" + RUN + "'", pdu));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Devices d : new Devices[] {device, pduPublisher}) {
            if (d != null) {
                d.close();
            }
        }
        Sinks.removeTestPdus("t-");
        Sinks.removeTestDevices();
    }

    /** Bad payloads every family refuses: broken JSON, wrong shapes, bad bytes, oversized, too deep. */
    private static List<byte[]> commonBad(int i) {
        List<byte[]> out = new ArrayList<>();
        out.add(("{\"a\":" + i).getBytes(StandardCharsets.UTF_8));                       // truncated JSON
        out.add(("hello " + i).getBytes(StandardCharsets.UTF_8));                        // not JSON
        out.add(("[" + i + ",2,3]").getBytes(StandardCharsets.UTF_8));                   // not an object
        out.add(("{\"power\": NaN, \"i\": " + i + "}").getBytes(StandardCharsets.UTF_8)); // NaN is not JSON
        byte[] garbage = new byte[64 + i];
        RANDOM.nextBytes(garbage);
        garbage[0] = (byte) 0xFF;                                                        // never valid UTF-8
        out.add(garbage);
        out.add(new byte[] {'{', '"', 'x', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}); // invalid UTF-8 in a string
        out.add(("{\"a\":".repeat(100) + "1" + "}".repeat(100)).getBytes(StandardCharsets.UTF_8)); // nested 100 deep
        out.add(("{\"x\":\"<script>alert(" + i + ")</script>'; DROP TABLE dead_letters; --\"").getBytes(StandardCharsets.UTF_8));
        out.add(new byte[0]);                                                            // empty
        return out;
    }

    @Test
    void everyBadMessageIsOneDeadLetterWithAReasonAndTheValidOnesLand() throws Exception {
        Map<String, Integer> badSent = new LinkedHashMap<>();
        Map<String, Integer> validSent = new LinkedHashMap<>();
        int total = 0;
        String big = "{\"x\":\"" + "A".repeat(1024 * 1024) + "\"}";
        for (var e : FAMILIES.entrySet()) {
            Family f = e.getValue();
            Devices pub = f.publisher()[0];
            int bad = 0;
            int valid = 0;
            for (int round = 0; round < ROUNDS; round++) {
                int i = round * 100;
                List<byte[]> payloads = new ArrayList<>(commonBad(i));
                f.ownBad().forEach(b -> payloads.add(b.apply(i).getBytes(StandardCharsets.UTF_8)));
                if (round < 2) {
                    payloads.add(big.getBytes(StandardCharsets.UTF_8));                  // 1 MB, over the 256 KiB limit
                }
                for (byte[] p : payloads) {
                    pub.publish(f.topic().apply(i + bad % 50), p);
                    bad++;
                    String v = f.valid().apply(i + bad);
                    if (v != null && bad % 3 == 0) {
                        pub.publish(f.topic().apply(i + bad), v);
                        valid++;
                    }
                }
            }
            // hostile topic levels where the family takes an id from the topic (not subscribable for PDU sockets)
            if (!e.getKey().equals("pdu-sockets") && !e.getKey().equals("energy-commands")) {
                int level = Map.of("energy-data", 2, "device-events", 3, "autocore", 1, "sites", 3).get(e.getKey());
                for (String id : new String[] {"x'; DROP TABLE devices; --" + RUN, "<img src=x onerror=alert(1)>" + RUN, "a b" + RUN}) {
                    String[] levels = f.topic().apply(0).split("/");
                    levels[level] = id;
                    String t = String.join("/", levels);
                    pub.publish(t, f.valid().apply(1) == null ? "{}" : f.valid().apply(1));
                    bad++;
                }
            }
            badSent.put(e.getKey(), bad);
            validSent.put(e.getKey(), valid);
            total += bad;
        }
        System.out.printf("hostile corpus: %d bad messages over %d families %s, valid interleaved %s%n", total, FAMILIES.size(),
                badSent, validSent);
        assertTrue(total >= 1000, "at least 1 000 bad messages: " + total);

        for (var e : FAMILIES.entrySet()) {
            Family f = e.getValue();
            int expected = badSent.get(e.getKey());
            String routeMatch = f.route().endsWith("-") ? f.route() + "%" : f.route();
            await(e.getKey() + " dead letters").atMost(Duration.ofSeconds(120)).until(() -> Sinks.count(
                    "SELECT count(*) FROM dead_letters WHERE route_id LIKE ? AND topic LIKE ?", routeMatch, "%" + RUN + "%") >= expected);
            Quiet.stays(e.getKey() + ": exactly one dead letter per bad message", () -> Sinks.count(
                    "SELECT count(*) FROM dead_letters WHERE route_id LIKE ? AND topic LIKE ?", routeMatch, "%" + RUN + "%"),
                    (long) expected, Duration.ofMillis(500));
            assertEquals(0, Sinks.count("SELECT count(*) FROM dead_letters WHERE route_id LIKE ? AND topic LIKE ? "
                                        + "AND (reason IS NULL OR length(reason) < 10)", routeMatch, "%" + RUN + "%"),
                    e.getKey() + ": every reason names the problem");
            if (f.landedSql() != null) {
                int valid = validSent.get(e.getKey());
                await(e.getKey() + " valid messages").atMost(Duration.ofSeconds(60)).until(() -> Sinks.count(f.landedSql()) >= valid);
            }
        }
        // oversized payloads are refused before parsing, with the limit in the reason
        assertTrue(Sinks.count("SELECT count(*) FROM dead_letters WHERE topic LIKE ? AND reason LIKE '%exceeds the limit of 262144 bytes%'",
                "%" + RUN + "%") >= 2L * FAMILIES.size());
        // still up: health, and the heap within its bound
        assertEquals(200, api.get("/observe/health").status(), api.get("/observe/health").toString());
        Process jcmd = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(gridwire.pid()), "GC.heap_info").redirectErrorStream(true).start();
        String info = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor();
        java.util.regex.Matcher used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        assertTrue(used.find(), info);
        long heapMb = Long.parseLong(used.group(1)) / 1024;
        System.out.printf("heap in use after the corpus: %d MB (-Xmx512m)%n", heapMb);
        assertTrue(heapMb < 512, "heap bounded: " + heapMb + " MB");
        assertEquals(1, Sinks.count("SELECT count(*) FROM pg_tables WHERE tablename = 'dead_letters'"), "no table was dropped");
    }
}
