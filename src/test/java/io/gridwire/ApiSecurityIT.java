package io.gridwire;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every REST path parameter with injection and script strings (SQL is only ever built with bound parameters, so
 * they are just unknown ids), and the bearer token: required for changes, never logged.
 */
@SharedGridwire
class ApiSecurityIT {

    private static final List<String> HOSTILE = List.of("1' OR '1'='1", "1; DROP TABLE dead_letters; --", "<script>alert(1)</script>",
            "../../etc/passwd", "%00", "' UNION SELECT password FROM pg_shadow --", "9999999999999999999999");

    /** Every path with an id parameter, {} standing for it. */
    private static final List<String> GET_PATHS = List.of("/api/v1/devices/{}", "/api/v1/devices/{}/readings",
            "/api/v1/registry/devices/{}", "/api/v1/autocore/devices/{}", "/api/v1/autocore/devices/{}/averages",
            "/api/v1/ems/devices/{}/aggregates", "/pdus/{}", "/sockets/{}", "/sockets/{}/mqtt-config", "/sockets/{}/mqtt-status",
            "/mqtt/devices/{}");
    private static final List<String> DELETE_PATHS = List.of("/api/v1/devices/{}", "/api/v1/registry/devices/{}", "/pdus/{}",
            "/sockets/{}", "/mqtt/devices/{}", "/api/v1/dead-letters/{}");

    private static GridwireProcess gridwire;
    private static Api api;

    @BeforeAll
    static void start(GridwireProcess g, Api a) {
        gridwire = g;
        api = a;
    }


    private static String path(String template, String id) {
        return template.replace("{}", URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"));
    }

    @Test
    void injectionStringsInIdsAreJustUnknownIds() {
        long tables = Sinks.count("SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'autocore', 'pdu')");
        long deadLetters = Sinks.count("SELECT count(*) FROM dead_letters");
        for (String id : HOSTILE) {
            for (String p : GET_PATHS) {
                Api.Response r = api.get(path(p, id));
                assertEquals(404, r.status(), p + " with " + id + ": " + r);
                assertFalse(r.text().contains("<script>"), "no reflected script: " + r);
            }
            for (String p : DELETE_PATHS) {
                Api.Response r = api.delete(path(p, id));
                assertEquals(404, r.status(), p + " with " + id + ": " + r);
            }
            Api.Response cmd = api.post(path("/api/v1/devices/{}/command", id), "{\"command\":\"turn_on\"}");
            assertEquals(404, cmd.status(), cmd.toString());
        }
        assertEquals(tables, Sinks.count("SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'autocore', 'pdu')"),
                "no table created or dropped");
        assertTrue(Sinks.count("SELECT count(*) FROM dead_letters") >= deadLetters, "dead letters intact");
    }

    @Test
    void changesNeedTheTokenAndTheTokenIsNeverLogged() throws Exception {
        String secret = "not-the-token-" + System.nanoTime();
        Api wrong = api.withToken(secret);
        String[][] changes = {{"POST", "/api/v1/devices"}, {"PUT", "/api/v1/devices/mock-hvac-001"}, {"DELETE", "/api/v1/devices/x"},
                              {"POST", "/api/v1/simulation/stop"}, {"POST", "/api/v1/registry/devices"}, {"POST", "/pdus"},
                              {"PUT", "/sockets/1/mqtt-config"}, {"POST", "/mqtt/devices"}, {"POST", "/api/v1/ems/devices"},
                              {"POST", "/api/v1/sites/1/devices/X/commands"}, {"PUT", "/api/v1/autocore/devices/x/relays/0"},
                              {"POST", "/api/v1/dead-letters/replay"}};
        for (String[] c : changes) {
            String body = c[0].equals("DELETE") ? null : "{}";
            assertEquals(401, wrong.send(c[0], c[1], body).status(), c[0] + " " + c[1] + " with a wrong token");
            assertEquals(401, api.withToken(null).send(c[0], c[1], body).status(), c[0] + " " + c[1] + " without a token");
        }
        assertEquals(401, wrong.get("/api/v1/dead-letters").status(), "dead letters hold payloads: reading them needs the token");
        assertEquals(200, api.withToken(null).get("/health").status(), "health stays open");
        assertEquals(200, api.withToken(null).get("/observe/health").status());
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(gridwire.log())
                .contains("Refused POST /api/v1/devices: invalid bearer token"));
        String log = Files.readString(gridwire.log());
        assertTrue(log.contains("Refused POST /api/v1/devices: invalid bearer token"), "refusals are logged");
        assertFalse(log.contains(secret), "the token offered is never logged");
        assertFalse(log.contains(Api.TOKEN), "nor the real one");
    }
}
