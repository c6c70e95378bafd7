package io.gridwire;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.support.Api;
import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Sinks.KafkaReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dead letters users can act on: listed with filters, replayed after a fix (they then land), discarded. */
@SharedGridwire
class DeadLettersApiIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static GridwireProcess gridwire;
    private static Api api;
    private static Devices mqtt;

    @BeforeAll
    static void start(GridwireProcess g, Api a, Devices d) {
        gridwire = g;
        api = a;
        mqtt = d;
    }


    private static JsonNode list(String query) {
        Api.Response r = api.get("/api/v1/dead-letters?" + query);
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    @Test
    void aDeadLetterReplayedAfterTheFixLands() throws Exception {
        String serial = "DL-" + UUID.randomUUID().toString().substring(0, 8);
        String other = serial + "-B";
        try (KafkaReader telemetry = new KafkaReader("device-telemetry")) {
            // an unknown serial: dead letters
            mqtt.publish("sites/5/devices/" + serial + "/telemetry", "{\"powerKw\":12.5,\"timestamp\":\"" + Instant.now() + "\"}");
            for (int i = 0; i < 3; i++) {
                mqtt.publish("sites/5/devices/" + other + "/telemetry", "{\"powerKw\":" + i + ",\"timestamp\":\""
                                                                       + Instant.now().plusMillis(i) + "\"}");
            }
            await().atMost(SOON).until(() -> list("route=sites-ingest&reason=" + other).get("total").asInt() == 3
                                              && list("route=sites-ingest&reason=" + serial + "'").get("total").asInt() == 1);
            JsonNode item = list("route=sites-ingest&reason=" + serial + "'").get("items").get(0);
            assertTrue(item.get("reason").asText().contains("unknown device serial"), item.toString());
            assertEquals("sites/5/devices/" + serial + "/telemetry", item.get("topic").asText());
            assertEquals(0, list("since=" + Instant.now().plusSeconds(3600)).get("total").asInt());
            assertEquals(2, list("route=sites-ingest&reason=" + other + "&limit=2").get("items").size(), "paged");

            // the fix: register the devices; then replay one, and the rest in bulk
            for (String s : new String[] {serial, other}) {
                assertEquals(201, api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + s + "\",\"siteId\":5,"
                                                                  + "\"deviceType\":\"METER\"}").status());
            }
            Api.Response one = api.post("/api/v1/dead-letters/" + item.get("id").asLong() + "/replay", null);
            assertEquals(202, one.status(), one.toString());
            await().atMost(SOON).until(() -> telemetry.records(serial).size() == 1);
            assertEquals(404, api.post("/api/v1/dead-letters/" + item.get("id").asLong() + "/replay", null).status(),
                    "a replayed dead letter is gone");

            Api.Response bulk = api.post("/api/v1/dead-letters/replay", "{\"route\":\"sites-ingest\",\"reason\":\"" + other + "\"}");
            assertEquals(202, bulk.status(), bulk.toString());
            assertEquals(3, bulk.json().get("replayed").asInt());
            await().atMost(SOON).until(() -> telemetry.records(other).size() == 3);
            assertEquals(0, list("route=sites-ingest&reason=" + other).get("total").asInt());
        }
    }

    @Test
    void deadLettersAreDiscardedAndEveryCallNeedsTheToken() throws Exception {
        String serial = "DL-X-" + UUID.randomUUID().toString().substring(0, 8);
        mqtt.publish("sites/5/devices/" + serial + "/telemetry", "{\"powerKw\":1}");
        await().atMost(SOON).until(() -> list("reason=" + serial).get("total").asInt() == 1);
        long id = list("reason=" + serial).get("items").get(0).get("id").asLong();
        Api anonymous = api.withToken(null);
        assertEquals(401, anonymous.get("/api/v1/dead-letters").status());
        assertEquals(401, anonymous.post("/api/v1/dead-letters/" + id + "/replay", null).status());
        assertEquals(401, anonymous.delete("/api/v1/dead-letters/" + id).status());
        assertEquals(401, api.withToken("wrong").get("/api/v1/dead-letters").status());
        assertEquals(204, api.delete("/api/v1/dead-letters/" + id).status());
        assertEquals(404, api.delete("/api/v1/dead-letters/" + id).status());
        assertEquals(0, list("reason=" + serial).get("total").asInt());
        assertEquals(400, api.get("/api/v1/dead-letters?limit=0").status());
        assertEquals(404, api.delete("/api/v1/dead-letters/1'%20OR%20'1'='1").status());
    }
}
