package io.gridwire.weather;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import io.gridwire.support.Devices;
import io.gridwire.support.SharedGridwire;
import io.gridwire.support.Sinks;
import io.gridwire.support.TestRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The example family end to end: an observation lands once, a malformed one is a dead letter with its reason. */
@SharedGridwire
class WeatherIT {

    private static Devices station;

    @BeforeAll
    static void start() throws Exception {
        TestRun.sharedGridwire(WeatherIT.class);
        // the broker's ACL grants device accounts their families' topics (mosquitto.acl); the example publishes as gridwire
        station = new Devices(Sinks.env("MQTT_BROKER_HOST", "localhost"), Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883")),
                Sinks.env("MQTT_USERNAME", "gridwire"), Sinks.env("MQTT_PASSWORD", "gridwire-dev"));
    }

    @AfterAll
    static void stop() throws Exception {
        station.close();
    }

    @Test
    void anObservationLandsOnceAndABadOneIsADeadLetter() throws Exception {
        String id = "t-ws-" + System.nanoTime();
        Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        String payload = "{\"timestamp\":\"" + ts + "\",\"temperature\":21.5,\"irradiance\":640}";
        station.publish("weather/" + id + "/observation", payload);
        station.publish("weather/" + id + "/observation", payload);
        station.publish("weather/" + id + "/observation", "{\"temperature\":\"warm\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> Sinks.count(
                "SELECT count(*) FROM dead_letters WHERE topic = ?", "weather/" + id + "/observation") == 1);
        assertEquals(1, Sinks.count("SELECT count(*) FROM weather_observations WHERE station_id = ? AND temperature_c = 21.5", id));
        assertEquals("field 'temperature' must be a number", Sinks.rows("SELECT reason FROM dead_letters WHERE topic = ?",
                "weather/" + id + "/observation").get(0).get("reason"));
    }
}
