package io.gridwire;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hawtio route console served by gridwire: login required, Jolokia limited by the policy, and in a real headless
 * Chromium (src/test/browser/hawtio-routes.mjs) the Camel routes view lists gridwire's routes with their exchange
 * counts, a route's diagram and its source, without a request leaving gridwire (its Monaco editor is served by
 * gridwire, not a CDN). Screenshots land in target/hawtio-*.png.
 */
class HawtioConsoleIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "ops";
    private static final String PASSWORD = "pw-" + UUID.randomUUID();
    private static GridwireProcess gridwire;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        port = GridwireProcess.freePort();
        gridwire = new GridwireProcess("hawtio", Map.of("HAWTIO_ENABLED", "true", "HAWTIO_PORT", String.valueOf(port),
                "HAWTIO_USER", USER, "HAWTIO_PASSWORD", PASSWORD)).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gridwire != null) {
            gridwire.stop();
        }
    }

    private static String base() {
        return "http://localhost:" + port + "/hawtio/";
    }

    private static HttpResponse<String> send(HttpClient http, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (json != null) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient session() {
        return HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
    }

    @Test
    void jolokiaNeedsALoginAndObeysThePolicy() throws Exception {
        HttpClient anonymous = session();
        assertEquals(403, send(anonymous, "jolokia/version", null).statusCode(), "Jolokia without a login");
        assertEquals(403, send(anonymous, "auth/login",
                "{\"username\":\"" + USER + "\",\"password\":\"wrong\"}").statusCode(), "wrong password");
        assertEquals(403, send(anonymous, "jolokia/version", null).statusCode(), "still no session after a failed login");

        HttpClient ops = session();
        assertEquals(200, send(ops, "auth/login",
                "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}").statusCode());
        JsonNode routes = JSON.readTree(send(ops, "jolokia/search/org.apache.camel:type=routes,*", null).body());
        assertEquals(200, routes.path("status").asInt(), routes.toString());
        assertTrue(routes.path("value").toString().contains("energy-telemetry-ingest"), routes.toString());

        // what the policy denies: JVM diagnostics (jcmd), attribute writes, replacing gridwire's routes
        JsonNode jcmd = JSON.readTree(send(ops, "jolokia/", "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=DiagnosticCommand\","
                + "\"operation\":\"vmSystemProperties()\"}").body());
        assertEquals(403, jcmd.path("status").asInt(), jcmd.toString());
        JsonNode write = JSON.readTree(send(ops, "jolokia/", "{\"type\":\"write\",\"mbean\":\"java.lang:type=Memory\","
                + "\"attribute\":\"Verbose\",\"value\":true}").body());
        assertEquals(403, write.path("status").asInt(), write.toString());
        JsonNode inject = JSON.readTree(send(ops, "jolokia/", "{\"type\":\"exec\",\"mbean\":"
                + "\"org.apache.camel:context=gridwire,type=context,name=\\\"gridwire\\\"\","
                + "\"operation\":\"sendStringBody(java.lang.String,java.lang.String)\",\"arguments\":[\"direct:x\",\"x\"]}").body());
        assertEquals(403, inject.path("status").asInt(), inject.toString());
        JsonNode replace = JSON.readTree(send(ops, "jolokia/", "{\"type\":\"exec\",\"mbean\":"
                + "\"org.apache.camel:context=gridwire,type=routes,name=\\\"energy-telemetry-ingest\\\"\","
                + "\"operation\":\"updateRouteFromXml(java.lang.String)\",\"arguments\":[\"<route/>\"]}").body());
        assertEquals(403, replace.path("status").asInt(), replace.toString());

        String log = Files.readString(gridwire.log());
        assertTrue(log.contains("Hawtio login refused for user '" + USER + "'"), "a refused login is logged");
        assertFalse(log.contains(PASSWORD), "the password never reaches the log");
    }

    @Test
    void theRoutesViewInABrowserListsGridwiresRoutes() throws Exception {
        // some traffic, so the counts are not all zero
        try (Devices devices = new Devices()) {
            for (int i = 0; i < 5; i++) {
                devices.publishReading("hawtio-meter", Instant.now().minusSeconds(10 - i), 10 + i, 230, 0.04, 1 + i);
            }
        }
        HttpClient ops = session();
        send(ops, "auth/login", "{\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(send(ops, "jolokia/read/"
                + "org.apache.camel:context=gridwire,type=routes,name=%22energy-telemetry-ingest%22/ExchangesCompleted", null)
                .body()).path("value").asLong() >= 1); // one exchange per batch of readings

        Path browser = Path.of("src", "test", "browser");
        Path target = Path.of("target").toAbsolutePath();
        assertTrue(Files.isDirectory(browser.resolve("node_modules").resolve("playwright-core")),
                "run 'npm ci --prefix src/test/browser' (scripts/test.sh does)");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "install Debian's chromium (scripts/test.sh does)");
        ProcessBuilder pb = new ProcessBuilder(List.of("node", browser.resolve("hawtio-routes.mjs").toString()));
        pb.environment().putAll(Map.of("HAWTIO_URL", base(), "HAWTIO_USER", USER, "HAWTIO_PASSWORD", PASSWORD,
                "ROUTE", "energy-telemetry-ingest", "SCREENSHOTS", target.toString()));
        Path out = target.resolve("hawtio-browser.txt");
        pb.redirectOutput(out.toFile());
        pb.redirectError(target.resolve("hawtio-browser.err").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the browser run finished");
        String text = Files.readString(out);
        assertEquals(0, p.exitValue(), "browser run failed: " + Files.readString(target.resolve("hawtio-browser.err")));

        String routes = section(text, "routes");
        for (String id : List.of("energy-telemetry-ingest", "energy-telemetry-store", "energy-telemetry-publish", "mock-device-commands", "simulator-tick",
                "device-events-sync", "autocore-ingest", "sites-ingest", "pdu-sockets-refresh", "dead-letter-store")) {
            assertTrue(routes.contains(id), "routes view lists " + id);
        }
        assertTrue(routes.contains("Completed") && routes.contains("Failed") && routes.contains("InFlight"),
                "exchange counts shown");
        assertTrue(section(text, "route-diagram").contains("From mqtt-ingest"), "the diagram starts at the MQTT consumer");
        String source = section(text, "route-source");
        assertTrue(source.contains("id=\"energy-telemetry-ingest\"") && source.contains("mqtt-ingest:"), source);
        // nothing came from the internet: the editor of the Source view is gridwire's own copy
        assertEquals("=== external requests", section(text, "external requests").strip(), "requests that left gridwire");
        for (String shot : List.of("hawtio-routes.png", "hawtio-route-diagram.png", "hawtio-route-source.png")) {
            assertTrue(Files.size(target.resolve(shot)) > 10_000, shot + " saved");
        }
    }

    private static String section(String text, String name) {
        int start = text.indexOf("=== " + name + "\n");
        assertTrue(start >= 0, "no " + name + " view in the browser output");
        int end = text.indexOf("\n=== ", start + 1);
        return text.substring(start, end < 0 ? text.length() : end);
    }
}
