package io.gridwire;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpServer;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tracing through the standard OTEL_* variables: gridwire exports OTLP (HTTP, protobuf) to a receiver in this test.
 * A reading's batch is one trace: the ingest route's span names the family, device, topic, batch size and outcome,
 * and the sink writes (PostgreSQL, the TSDB, Kafka) are spans of the same trace.
 */
class TracingIT {

    private static final List<Span> SPANS = new CopyOnWriteArrayList<>();
    private static final List<String> SERVICES = new CopyOnWriteArrayList<>();
    private static HttpServer receiver;
    private static GridwireProcess gridwire;

    @BeforeAll
    static void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        receiver.createContext("/v1/traces", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                for (ResourceSpans rs : request.getResourceSpansList()) {
                    SERVICES.add(attributes(rs.getResource().getAttributesList()).get("service.name")
                                 + "/" + attributes(rs.getResource().getAttributesList()).get("service.instance.id"));
                    for (ScopeSpans ss : rs.getScopeSpansList()) {
                        SPANS.addAll(ss.getSpansList());
                    }
                }
            } catch (IOException e) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(new byte[0]);
            exchange.close();
        });
        receiver.start();
        gridwire = new GridwireProcess("tracing", Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:" + receiver.getAddress().getPort(),
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                "OTEL_BSP_SCHEDULE_DELAY", "200")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gridwire != null) {
            gridwire.stop();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        Sinks.removeTestDevices();
    }

    @Test
    void aBatchIsOneTraceWithItsSinkWrites() throws Exception {
        String device = "t-trace-" + UUID.randomUUID().toString().substring(0, 8);
        try (Devices mqtt = new Devices()) {
            mqtt.publish("energy/devices/" + device + "/data", Devices.reading(device, Instant.now().minusSeconds(30), 5, 230, 1, 1));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", device) == 1);

        Span batch = await("the batch's span").atMost(Duration.ofSeconds(30)).until(() -> SPANS.stream()
                .filter(s -> attributes(s.getAttributesList()).getOrDefault("gridwire.device_ids", "").contains(device))
                .findFirst().orElse(null), s -> s != null);
        Map<String, String> a = attributes(batch.getAttributesList());
        assertEquals("energy-telemetry", a.get("gridwire.family"), a.toString());
        assertEquals("energy/devices/" + device + "/data", a.get("messaging.destination.name"), a.toString());
        assertEquals("1", a.get("messaging.batch.message_count"), a.toString());
        assertEquals("committed", a.get("gridwire.outcome"), a.toString());

        // the same trace holds the sink stages and their writes
        await("the sink writes in the batch's trace").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<String> names = SPANS.stream().filter(s -> s.getTraceId().equals(batch.getTraceId())).map(Span::getName).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("to-postgres")), "PostgreSQL write: " + names);
            assertTrue(names.stream().anyMatch(n -> n.startsWith("to-influx")), "TSDB write: " + names);
            assertTrue(names.stream().anyMatch(n -> n.contains("energy-readings") || n.contains("kafka")), "Kafka write: " + names);
        });
        System.out.println("trace of one reading: " + SPANS.stream().filter(s -> s.getTraceId().equals(batch.getTraceId()))
                .map(s -> s.getName() + " " + (s.getEndTimeUnixNano() - s.getStartTimeUnixNano()) / 1000 + " µs")
                .collect(Collectors.joining(", ")));
        assertTrue(SERVICES.contains("gridwire/tracing"), "service name and instance id: " + SERVICES);
    }

    private static Map<String, String> attributes(List<KeyValue> kvs) {
        return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> {
            var v = kv.getValue();
            return v.hasArrayValue() ? v.getArrayValue().getValuesList().stream().map(x -> x.getStringValue()).collect(Collectors.joining(","))
                    : v.hasIntValue() ? String.valueOf(v.getIntValue()) : v.getStringValue();
        }, (x, y) -> x));
    }
}
