package io.gridwire;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Services;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /observe/health has a check per real dependency and answers 503 with the reason while one is down (each service
 * stopped for real); /observe/metrics has per-route and per-sink figures, dead letters by reason and the messages
 * awaiting their ack.
 */
class HealthAndMetricsIT {

    private static final Duration SOON = Duration.ofSeconds(60);
    private static final List<String> DEPENDENCIES = List.of("mqtt-energy", "mqtt-commands", "mqtt-device-events",
            "mqtt-autocore", "mqtt-sites", "mqtt-pdu-brokers", "postgresql", "kafka", "influxdb", "ingest");
    private static GridwireProcess gridwire;
    private static Api api;

    @BeforeAll
    static void start() throws Exception {
        // a family held back by a sink for more than 3 s makes gridwire unready (60 s by default)
        gridwire = new GridwireProcess("health", Map.of("INGEST_HELDBACKHEALTHMS", "3000")).start();
        api = new Api(gridwire.httpPort());
    }

    @AfterAll
    static void stop() throws Exception {
        if (gridwire != null) {
            gridwire.stop();
        }
        Sinks.removeTestDevices();
    }

    /** Each dependency down in turn (503 naming it, liveness 200, 200 again after) is a case of FaultMatrixIT. */
    @Test
    void aCheckPerDependencyAllUp() {
        Api.Response all = api.get("/observe/health?exposureLevel=full&data=true");
        assertEquals(200, all.status(), all.toString());
        for (String id : DEPENDENCIES) {
            JsonNode c = api.healthCheck(id);
            assertTrue(c != null && c.path("status").asText().equals("UP"), id + " UP: " + c);
        }
        assertEquals(200, api.get("/observe/health/live").status());
        assertEquals(200, api.get("/observe/health/ready").status());
    }

    @Test
    void metricsPerRoutePerSinkDeadLettersAndAwaitingAck() throws Exception {
        try (Devices mqtt = new Devices()) {
            metrics(mqtt);
        }
    }

    private static void metrics(Devices mqtt) throws Exception {
        String device = "metrics-meter-" + System.nanoTime();
        Instant t0 = Instant.now().minusSeconds(60);
        for (int i = 0; i < 20; i++) {
            mqtt.publishReading(device, t0.plusSeconds(i), 10 + i, 230, 0.05, i);
        }
        mqtt.publish("energy/devices/" + device + "/data", "{\"device_id\":\"" + device + "\",\"timestamp\":\"" + t0
                + "\",\"power\":\"high\"}");
        await().atMost(SOON).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", device) == 20);
        // reason = the kind of refusal (the exception type; the full text is in dead_letters.reason)
        await().atMost(SOON).until(() -> value(metrics(), "gridwire_dead_letters_total",
                "reason=\"InvalidMessageException\"", "route=\"energy-telemetry-ingest\"") >= 1);

        // one exchange per batch on the ingest route; its messages are counted by outcome once acked (after Kafka)
        await("messages counted by outcome").atMost(SOON).until(() -> {
            String now = metrics();
            return value(now, "gridwire_ingest_messages_total", "route=\"energy-telemetry-ingest\"", "outcome=\"committed\"") >= 20
                   && value(now, "gridwire_ingest_messages_total", "route=\"energy-telemetry-ingest\"", "outcome=\"dead_letter\"") >= 1;
        });
        String m = metrics();
        assertTrue(value(m, "camel_exchanges_total", "routeId=\"energy-telemetry-ingest\"") >= 1, "route exchanges");
        assertTrue(value(m, "camel_exchanges_failed_total", "routeId=\"energy-telemetry-ingest\"") >= 0, "route failures");
        assertTrue(value(m, "camel_route_policy_seconds_max", "routeId=\"energy-telemetry-ingest\"") > 0, "route max time");
        assertTrue(value(m, "camel_route_policy_seconds_count", "routeId=\"energy-telemetry-ingest\"") >= 1, "route mean time");
        for (String sink : List.of("postgresql:device_readings", "influxdb:energy_readings", "kafka:energy-readings")) {
            assertTrue(value(m, "gridwire_sink_batch_size_sum", "sink=\"" + sink + "\"") >= 20, sink + " batch sizes");
            assertTrue(value(m, "gridwire_sink_write_seconds_count", "sink=\"" + sink + "\"", "outcome=\"ok\"") >= 1,
                    sink + " write latency");
        }
        assertEquals(0, value(m, "gridwire_messages_awaiting_ack", "route=\"energy-telemetry-ingest\""), "nothing waiting");
        dashboardQueriesOnlyMetricsThatExist(m);

        // the TSDB away: the readings wait unacked, and the failed writes are counted as transient
        Services.stop("questdb");
        try {
            for (int i = 20; i < 25; i++) {
                mqtt.publishReading(device, t0.plusSeconds(i), 10 + i, 230, 0.05, i);
            }
            await().atMost(SOON).until(() -> value(metrics(), "gridwire_messages_awaiting_ack",
                    "route=\"energy-telemetry-ingest\"") >= 5);
            await().atMost(SOON).until(() -> value(metrics(), "gridwire_sink_failures_total",
                    "sink=\"influxdb:energy_readings\"", "kind=\"transient\"") >= 1);
            // held back longer than the bound: unready, naming the family, the stage and the sink's reason
            await("ingest held back in /observe/health").atMost(SOON).until(() -> {
                JsonNode c = api.healthCheck("ingest");
                return c != null && "DOWN".equals(c.path("status").asText())
                       && c.path("message").asText().contains("energy-telemetry held back")
                       && c.path("message").asText().contains("direct:energy-telemetry-store");
            });
            System.out.println("health: TSDB away with readings waiting -> " + api.healthCheck("ingest").path("message").asText());
            assertEquals(503, api.get("/observe/health").status());
        } finally {
            Services.start("questdb");
        }
        await().atMost(Duration.ofSeconds(90)).until(() ->
                Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", device) == 25
                && value(metrics(), "gridwire_messages_awaiting_ack", "route=\"energy-telemetry-ingest\"") == 0);
    }

    /**
     * Every metric docker/grafana/dashboards/gridwire.json queries is in /observe/metrics (after a reading and a dead
     * letter, so the counters made on first use exist), with samples for the energy family where it has a route label.
     */
    private static void dashboardQueriesOnlyMetricsThatExist(String metrics) throws Exception {
        JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.nio.file.Path.of("docker/grafana/dashboards/gridwire.json").toFile());
        java.util.Set<String> queried = new java.util.TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher name = Pattern.compile("\\b(gridwire_[a-z_]+|camel_[a-z_]+)\\b").matcher(target.path("expr").asText());
                while (name.find()) {
                    queried.add(name.group(1));
                }
            }
        }
        assertTrue(queried.size() >= 8, "the dashboard's metrics: " + queried);
        for (String name : queried) {
            assertTrue(Pattern.compile("^" + Pattern.quote(name) + "[{ ]", Pattern.MULTILINE).matcher(metrics).find(),
                    "the dashboard queries " + name + ", which /observe/metrics does not have");
        }
        assertTrue(value(metrics, "gridwire_ingest_received_total", "route=\"energy-telemetry-ingest\"") >= 21, "messages in");
        assertEquals(1, value(metrics, "gridwire_health_check_up", "check=\"postgresql\""), "health of PostgreSQL as a metric");
        System.out.println("dashboard: " + queried.size() + " metrics queried, all exposed: " + queried);
    }

    private static String metrics() {
        Api.Response r = api.get("/observe/metrics");
        assertEquals(200, r.status());
        return r.text();
    }

    /** The sum of the samples of a metric whose labels contain every given label text. */
    private static double value(String metrics, String name, String... labels) {
        double sum = 0;
        Matcher line = Pattern.compile("^" + Pattern.quote(name) + "\\{(.*)} (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        while (line.find()) {
            boolean all = true;
            for (String l : labels) {
                all &= line.group(1).contains(l);
            }
            if (all) {
                sum += Double.parseDouble(line.group(2));
            }
        }
        return sum;
    }
}
