package io.gridwire;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.bench.HeapPeaks;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Paced;
import io.gridwire.support.Services;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
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
 * Kafka-first mode (GRIDWIRE_MODE=kafka-first, issue 17) against the real broker, Kafka, PostgreSQL and TSDB: raw
 * messages go to Kafka and are acked there, sink workers write every sink; with PostgreSQL stopped while readings
 * flow, MQTT keeps acking, gridwire's heap stays flat and the backlog is Kafka's, and after PostgreSQL returns every
 * reading lands once; a replay re-applies them without a duplicate. The outage and the readings are
 * {@code -Dkafkafirst.outageSeconds} (default 60) and {@code -Dkafkafirst.readings} (default 20 000): bench/soak.sh
 * kafka-first runs the 10 minutes and 100 000.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaFirstIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
    private static final String RAW_PREFIX = "t-raw-" + RUN + "-";
    private static final int OUTAGE_S = Integer.getInteger("kafkafirst.outageSeconds", 60);
    private static final int READINGS = Integer.getInteger("kafkafirst.readings", 20_000);
    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices devices;
    private static KafkaReader energy;

    @BeforeAll
    static void start() throws Exception {
        gridwire = new GridwireProcess("kafka-first", Map.of("GRIDWIRE_MODE", "kafka-first", "KAFKAFIRST_TOPICPREFIX", RAW_PREFIX,
                "KAFKAFIRST_GROUPPREFIX", "t-sink-" + RUN + "-")).start();
        api = new Api(gridwire.httpPort());
        devices = new Devices();
        energy = new KafkaReader("energy-readings");
        await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/api/v1/kafka-first").json().path("workers").size() >= 4);
    }

    @AfterAll
    static void stop() throws Exception {
        Services.start("postgresql");
        if (gridwire != null) {
            gridwire.stop();
        }
        if (devices != null) {
            devices.close();
        }
        if (energy != null) {
            energy.close();
        }
    }

    @Test
    @Order(1)
    void readingsGoThroughTheRawTopicIntoEverySink() throws Exception {
        String prefix = Devices.uniquePrefix("kf");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(120);
        try (KafkaReader raw = new KafkaReader(RAW_PREFIX + "energy-telemetry-ingest")) {
            for (int i = 0; i < 50; i++) {
                devices.publishReading(prefix + (i % 5), t0.plusSeconds(i), 3.5, 230, 0.015, i);
            }
            devices.publish("energy/devices/" + prefix + "bad/data", "{not json");
            // over mqtt.maxPayloadBytes (256 KiB): stored cut, refused by the worker with the limit in the reason
            devices.publish("energy/devices/" + prefix + "huge/data", new byte[300 * 1024]);
            await().atMost(Duration.ofSeconds(60)).until(() -> Sinks.count(
                    "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") == 50);
            await().atMost(Duration.ofSeconds(60)).until(() -> tsdbCount(prefix) == 50);
            await().atMost(Duration.ofSeconds(60)).until(() -> energy.records(prefix).size() == 50);
            // the raw records: keyed by device id, the MQTT topic and first receipt in headers, the payload unchanged
            await().atMost(Duration.ofSeconds(30)).until(() -> raw.records(prefix).size() >= 52);
            var records = raw.records(prefix);
            Map<String, String> h = KafkaReader.headers(records.get(0));
            assertTrue(h.get("gridwire_mqtt_topic").startsWith("energy/devices/" + prefix), h.toString());
            assertTrue(h.containsKey("gridwire_received_at") && h.containsKey("gridwire_raw_id"), h.toString());
            // bad input is still a dead letter with its reason, refused by the sink worker's parser
            await().atMost(Duration.ofSeconds(30)).until(() -> Sinks.count(
                    "SELECT count(*) FROM dead_letters WHERE topic = ?", "energy/devices/" + prefix + "bad/data") == 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> Sinks.count("SELECT count(*) FROM dead_letters WHERE topic = ? "
                    + "AND reason LIKE '%exceeds the limit of 262144 bytes%'", "energy/devices/" + prefix + "huge/data") == 1);
        }
    }

    @Test
    @Order(2)
    void postgresDownHoldsNothingInGridwireAndEveryReadingLandsOnceAfter() throws Exception {
        String prefix = Devices.uniquePrefix("kf-outage");
        int perDevice = READINGS / 200;
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(1, ChronoUnit.DAYS);
        try (KafkaReader raw = new KafkaReader(RAW_PREFIX + "energy-telemetry-ingest");
             HeapPeaks heap = new HeapPeaks(gridwire.pid())) {
            heap.phase("before");
            // a few samples of the heap at rest (jstat, every second)
            await().atMost(Duration.ofSeconds(20)).until(() -> !Double.isNaN(heap.peakMb("before")));
            heap.phase("outage");
            Services.stop("postgresql");
            try {
                long outageStart = System.nanoTime();
                // the readings spread over the first 80 % of the outage
                java.util.concurrent.atomic.AtomicLong maxLag = new java.util.concurrent.atomic.AtomicLong();
                try (Paced stream = Paced.start(perDevice, Duration.ofSeconds(OUTAGE_S).multipliedBy(8).dividedBy(10).dividedBy(perDevice),
                        r -> {
                            for (int d = 0; d < 200; d++) {
                                devices.publishReading(prefix + d, t0.plusSeconds(r), 2 + d / 100.0, 231, 0.01, r);
                            }
                            maxLag.accumulateAndGet(lag(), Math::max);
                        })) {
                    stream.awaitDone(Duration.ofSeconds(OUTAGE_S * 2L));
                }
                // MQTT was acked all along: every reading is in the raw topic, nothing waits in gridwire for an ack
                await().atMost(Duration.ofSeconds(60)).until(() -> raw.records(prefix).size() >= READINGS);
                double awaiting = metric("gridwire_messages_awaiting_ack", "energy-telemetry-ingest");
                // the rest of the outage, the lag sampled every second
                await("the outage's end").atMost(Duration.ofSeconds(OUTAGE_S + 30L)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    maxLag.accumulateAndGet(lag(), Math::max);
                    return System.nanoTime() - outageStart >= Duration.ofSeconds(OUTAGE_S).toNanos();
                });
                double outageHeap = heap.peakMb("outage");
                heap.phase("catch-up");
                Services.start("postgresql");
                long back = System.nanoTime();
                double before = heap.peakMb("before");
                await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1)).until(() -> Sinks.count(
                        "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") >= READINGS);
                double catchUpS = (System.nanoTime() - back) / 1e9;
                assertEquals(READINGS, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%"));
                await().atMost(Duration.ofMinutes(5)).until(() -> tsdbCount(prefix) >= READINGS);
                assertEquals(READINGS, tsdbCount(prefix));
                await().atMost(Duration.ofMinutes(5)).until(() -> ids(prefix).size() >= READINGS);
                assertEquals(READINGS, ids(prefix).size(), "each reading in energy-readings under one message id");
                System.err.printf("kafka-first: PostgreSQL down %d s while %d readings flowed: MQTT awaiting ack at the end %.0f, "
                                  + "raw topic held all %d, sink worker lag up to %d; peak heap %.0f MB before, %.0f MB during the "
                                  + "outage, %.0f MB catching up; every reading in PostgreSQL %.1f s after it returned (%.0f readings/s)%n",
                        OUTAGE_S, READINGS, awaiting, READINGS, maxLag.get(), heap.peakMb("before"), outageHeap, heap.peakMb("catch-up"),
                        catchUpS, READINGS / catchUpS);
                assertTrue(awaiting < 1000, "MQTT messages waiting for their ack during the outage: " + awaiting);
                assertTrue(maxLag.get() >= READINGS / 2, "the backlog was Kafka's (lag " + maxLag + ")");
                // flat: the outage's peak (garbage included) does not grow with the backlog it leaves in Kafka
                assertTrue(outageHeap < before + 150, "heap stays flat during the outage: " + before + " -> " + outageHeap + " MB");
            } finally {
                Services.start("postgresql");
            }
        }
    }

    @Test
    @Order(3)
    void aReplayReappliesWithoutDuplicates() throws Exception {
        String prefix = Devices.uniquePrefix("kf-replay");
        Instant from = Instant.now().minusSeconds(1);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(600);
        for (int i = 0; i < 100; i++) {
            devices.publishReading(prefix + (i % 10), t0.plusSeconds(i), 1.5, 229, 0.006, i);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") == 100);
        Sinks.rows("DELETE FROM device_readings WHERE device_id LIKE ? AND \"timestamp\" < ? RETURNING device_id", prefix + "%",
                java.sql.Timestamp.from(t0.plusSeconds(50)));
        assertEquals(50, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%"));
        assertEquals(401, api.withToken(null).post("/api/v1/kafka-first/replay", "{\"route\":\"energy-telemetry-ingest\",\"from\":\"" + from + "\"}").status());
        Api.Response r = api.withToken(Api.TOKEN).post("/api/v1/kafka-first/replay",
                "{\"route\":\"energy-telemetry-ingest\",\"from\":\"" + from + "\"}");
        assertEquals(202, r.status(), r.toString());
        assertTrue(r.json().path("records").asLong() >= 100, r.toString());
        // the rows deleted from PostgreSQL are back, none twice
        await().atMost(Duration.ofSeconds(60)).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") == 100);
        // and it stays at 100 while the replay finishes
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> Sinks.count(
                "SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%") == 100);
        assertEquals(100, Sinks.count("SELECT count(*) FROM device_readings WHERE device_id LIKE ?", prefix + "%"));
        assertEquals(100, ids(prefix).size());
        assertEquals(400, api.withToken(Api.TOKEN).post("/api/v1/kafka-first/replay", "{\"route\":\"energy-telemetry-ingest\"}").status());
        assertEquals(404, api.withToken(Api.TOKEN).post("/api/v1/kafka-first/replay",
                "{\"route\":\"nope\",\"from\":\"" + from + "\"}").status());
    }

    private static long lag() {
        JsonNode workers = api.get("/api/v1/kafka-first").json().path("workers");
        for (JsonNode w : workers) {
            if (w.path("route").asText().equals("energy-telemetry-ingest")) {
                return w.path("lag").asLong();
            }
        }
        return 0;
    }

    private static double metric(String name, String route) throws Exception {
        return gridwire.get("/observe/metrics").lines().filter(l -> l.startsWith(name + "{") && l.contains("\"" + route + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static long tsdbCount(String prefix) {
        var rows = Sinks.points("select count(*) n from energy_readings where device_id like '" + prefix + "%'");
        return rows.isEmpty() ? 0 : rows.get(0).get("n").asLong();
    }

    private static Set<String> ids(String prefix) {
        Set<String> out = new HashSet<>();
        List<org.apache.kafka.clients.consumer.ConsumerRecord<String, String>> rs = energy.records(prefix);
        rs.forEach(r -> out.add(KafkaReader.headers(r).get("gridwire_message_id")));
        return out;
    }
}
