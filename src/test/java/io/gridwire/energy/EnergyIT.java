package io.gridwire.energy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 * Seed 001 readings end to end, against the real Mosquitto, PostgreSQL, Kafka and QuestDB (InfluxDB v2 API)
 * started by scripts/services.sh, with gridwire running as its own process (the run's shared one). Sink outages and
 * gridwire restarts with the energy family streaming are cases of FaultMatrixIT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@SharedGridwire
class EnergyIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LANDING = Duration.ofSeconds(60);

    private static GridwireProcess gridwire;
    private static Devices devices;
    private static KafkaReader kafka;

    @BeforeAll
    static void start(GridwireProcess g, Devices d) throws Exception {
        gridwire = g;
        devices = d;
        kafka = new KafkaReader("energy-readings");
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Order(1)
    void readingsLandInPostgresInfluxAndKafka() throws Exception {
        String prefix = Devices.uniquePrefix("land");
        String a = prefix + "hvac";
        String b = prefix + "light";
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(10);
        devices.publishReading(a, t0, 25.3, 239.8, 23.7, 156.7);
        devices.publishReading(a, t0.plusSeconds(5), 25.9, 240.1, 24.1, 156.8);
        devices.publishReading(b, t0, 8.4, 241.0, 34.9, 12.5);

        await().atMost(LANDING).until(() -> Sinks.count(
                "select count(*) from device_readings where device_id like ?", prefix + "%") == 3);
        List<Map<String, Object>> rows = Sinks.rows("select device_id, \"timestamp\", power, voltage, current, energy, "
                                                    + "status, enabled from device_readings where device_id = ? order by 2", a);
        assertEquals(2, rows.size());
        assertEquals(25.3, rows.get(0).get("power"));
        assertEquals(239.8, rows.get(0).get("voltage"));
        assertEquals(23.7, rows.get(0).get("current"));
        assertEquals(156.7, rows.get(0).get("energy"));
        assertEquals("online", rows.get(0).get("status"));
        assertEquals(true, rows.get(0).get("enabled"));
        assertEquals(t0, ((java.sql.Timestamp) rows.get(0).get("timestamp")).toInstant());

        Map<String, Object> state = Sinks.rows("select * from device_current_state where device_id = ?", a).get(0);
        assertEquals(25.9, state.get("power"));
        assertEquals(t0.plusSeconds(5), ((java.sql.Timestamp) state.get("timestamp")).toInstant());

        // Kafka: key = device id, value = the reading in seed 001 format, a stable message id header
        await().atMost(LANDING).until(() -> kafka.records(prefix).size() == 3);
        ConsumerRecord<String, String> first = kafka.records(a).get(0);
        JsonNode value = JSON.readTree(first.value());
        assertEquals(a, first.key());
        assertEquals(a, value.get("device_id").asText());
        assertEquals(t0.toString(), value.get("timestamp").asText());
        assertEquals(25.3, value.get("power").asDouble());
        assertEquals(239.8, value.get("voltage").asDouble());
        assertEquals(23.7, value.get("current").asDouble());
        assertEquals(156.7, value.get("energy").asDouble());
        assertEquals("online", value.get("status").asText());
        assertTrue(value.get("enabled").asBoolean());
        // device@timestamp#CRC-32C of the record's value: stable on redelivery, different for different content
        assertTrue(KafkaReader.headers(first).get("gridwire_message_id").matches(
                java.util.regex.Pattern.quote(a + "@" + t0) + "#[0-9a-f]{8}"), KafkaReader.headers(first).toString());

        // InfluxDB v2 API (QuestDB): measurement energy_readings, tag device_id, the four fields, payload time
        await().atMost(LANDING).until(() -> Sinks.points(
                "select * from energy_readings where device_id like '" + prefix + "%'").size() == 3);
        Map<String, JsonNode> point = Sinks.points("select * from energy_readings where device_id = '" + a
                                                   + "' order by timestamp limit 1").get(0);
        assertEquals(25.3, point.get("power").asDouble());
        assertEquals(239.8, point.get("voltage").asDouble());
        assertEquals(23.7, point.get("current").asDouble());
        assertEquals(156.7, point.get("energy").asDouble());
        assertEquals(t0, Instant.parse(point.get("timestamp").asText()));
    }

    @Test
    @Order(2)
    void redeliveredDuplicateLeavesOneRowAndOlderReadingNeverOverwritesState() throws Exception {
        String device = Devices.uniquePrefix("dup") + "meter";
        Instant newer = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Instant older = newer.minusSeconds(60);
        devices.publishReading(device, newer, 10.0, 230.0, 43.5, 5.0);
        devices.publishReading(device, newer, 10.0, 230.0, 43.5, 5.0); // the same reading again
        await().atMost(LANDING).until(() -> kafka.records(device).size() >= 2 || Sinks.count(
                "select count(*) from device_readings where device_id = ?", device) == 1);
        devices.publishReading(device, older, 7.0, 229.0, 30.6, 4.0); // arrives late

        await().atMost(LANDING).until(() -> Sinks.count(
                "select count(*) from device_readings where device_id = ?", device) == 2);
        Map<String, Object> state = Sinks.rows("select * from device_current_state where device_id = ?", device).get(0);
        assertEquals(newer, ((java.sql.Timestamp) state.get("timestamp")).toInstant());
        assertEquals(10.0, state.get("power"));
        assertEquals(1, Sinks.count("select count(*) from device_readings where device_id = ? and \"timestamp\" = ?",
                device, java.sql.Timestamp.from(newer)));
        await().atMost(LANDING).until(() -> Sinks.points(
                "select * from energy_readings where device_id = '" + device + "'").size() == 2);
        // Kafka gets both copies of the duplicate, each with the same message id for consumers to drop one
        await().atMost(LANDING).until(() -> kafka.records(device).size() == 3);
        assertEquals(2, kafka.records(device).stream().map(KafkaReader::headers).map(h -> h.get("gridwire_message_id"))
                .distinct().count());
    }

    @Test
    @Order(3)
    void badInputBecomesDeadLetterWithReasonAndTheNextValidReadingLands() throws Exception {
        String prefix = Devices.uniquePrefix("bad");
        String device = prefix + "dev";
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String topic = "energy/devices/" + device + "/data";
        devices.publish(topic, "{\"device_id\":\"" + device + "\",\"timestamp\":"); // malformed
        devices.publish(topic, "{\"device_id\":\"" + device + "\",\"timestamp\":\"" + now + "\",\"power\":\"high\","
                               + "\"voltage\":230,\"current\":1,\"energy\":1}");
        devices.publish("energy/devices//data", "{\"marker\":\"" + prefix + "\",\"timestamp\":\"" + now
                                                + "\",\"power\":1,\"voltage\":230,\"current\":1,\"energy\":1}");
        devices.publishReading(device, now, 3.0, 230.0, 13.0, 2.0);

        await().atMost(LANDING).until(() -> Sinks.count(
                "select count(*) from device_readings where device_id = ?", device) == 1);
        await().atMost(LANDING).until(() -> Sinks.count(
                "select count(*) from dead_letters where topic = ? or payload_text like ?", topic, "%" + prefix + "%") == 3);
        List<Map<String, Object>> dead = Sinks.rows("select route_id, topic, reason, payload_text from dead_letters "
                                                    + "where topic = ? or payload_text like ? order by id", topic, "%" + prefix + "%");
        assertEquals("energy-telemetry-ingest", dead.get(0).get("route_id"));
        assertTrue(((String) dead.get(0).get("reason")).startsWith("malformed JSON"), dead.get(0).toString());
        assertEquals("{\"device_id\":\"" + device + "\",\"timestamp\":", dead.get(0).get("payload_text"));
        assertEquals("field 'power' must be a number, got string \"high\"", dead.get(1).get("reason"));
        assertEquals("missing device id: no 'device_id' field and none in the topic", dead.get(2).get("reason"));
        assertEquals("energy/devices//data", dead.get(2).get("topic"));
    }
}
