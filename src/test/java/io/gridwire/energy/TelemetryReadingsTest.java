package io.gridwire.energy;

import io.gridwire.energy.Reading;

import io.gridwire.energy.TelemetryReadings;

import io.gridwire.message.InvalidMessageException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The validation branches of seed 001 readings, each with the reason a dead letter would carry. */
class TelemetryReadingsTest {

    private final TelemetryReadings readings = new TelemetryReadings(1024);

    @Test
    void acceptsSeedPayloadAndTakesTheDeviceFromTheTopicWhenThePayloadHasNone() throws Exception {
        Reading r = readings.reading(bytes("{\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":25.3,\"voltage\":239.8,"
                                         + "\"current\":23.7,\"energy\":156.7,\"extra\":{\"x\":1}}"), "mock-hvac-001");
        assertEquals("mock-hvac-001", r.deviceId());
        assertEquals(Instant.parse("2025-08-09T16:30:00Z"), r.timestamp());
        assertEquals(156.7, r.energy());
        assertNull(r.status());
        assertEquals("{\"device_id\":\"mock-hvac-001\",\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":25.3,"
                     + "\"voltage\":239.8,\"current\":23.7,\"energy\":156.7}", readings.toJson(r));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":1,\"voltage\":1,\"current\":1}|missing field 'energy'",
        "{\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":true,\"voltage\":1,\"current\":1,\"energy\":1}|field 'power' must be a number, got boolean true",
        "{\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":1e400,\"voltage\":1,\"current\":1,\"energy\":1}|field 'power' is out of range: Infinity",
        "{\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":-5}|field 'energy' is negative (-5.0); cumulative energy cannot be",
        "{\"timestamp\":\"yesterday\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}|field 'timestamp' is not an ISO-8601 date-time with offset: 'yesterday'",
        "{\"timestamp\":\"2999-01-01T00:00:00Z\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}|ahead of gridwire's clock (more than timestamps.maxFutureSkew PT5M): the device's clock is wrong",
        "{\"device_id\":\"other\",\"timestamp\":\"2025-08-09T16:30:00Z\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}|field 'device_id' (other) does not match the topic's device id (dev-1)",
        "{\"timestamp\":\"1970-01-01T00:00:42Z\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}|field 'timestamp' 1970-01-01T00:00:42Z is before timestamps.earliest 2000-01-01T00:00:00Z: the device's clock is not set (not synced yet?)",
        "[1,2,3]|payload is not a JSON object",
    })
    void rejectsWithAReasonThatNamesTheProblem(String payload, String reason) {
        InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> readings.reading(bytes(payload), "dev-1"));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void aClockAheadBeyondTheSkewIsRefusedNamingTheClockAndWithinItIsTaken() throws Exception {
        String ahead = "{\"timestamp\":\"" + Instant.now().plusSeconds(50 * 60) + "\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}";
        assertTrue(assertThrows(InvalidMessageException.class, () -> readings.reading(bytes(ahead), "d")).getMessage()
                .matches(".* is (49|50) min ahead of gridwire's clock .*"));
        String slightly = "{\"timestamp\":\"" + Instant.now().plusSeconds(60) + "\",\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}";
        assertEquals("d", readings.reading(bytes(slightly), "d").deviceId());
    }

    @Test
    void rejectsHostileIdsOversizedAndNonUtf8PayloadsBeforeTrustingThem() {
        String hostile = "{\"device_id\":\"x'; DROP TABLE device_readings;--\",\"timestamp\":\"2025-08-09T16:30:00Z\","
                         + "\"power\":1,\"voltage\":1,\"current\":1,\"energy\":1}";
        assertTrue(assertThrows(InvalidMessageException.class, () -> readings.reading(bytes(hostile), null))
                .getMessage().startsWith("invalid device id"));
        assertEquals("payload of 2000 bytes exceeds the limit of 1024 bytes",
                assertThrows(InvalidMessageException.class, () -> readings.reading(new byte[2000], "d")).getMessage());
        assertEquals("payload is not valid UTF-8", assertThrows(InvalidMessageException.class,
                () -> readings.reading(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, "d")).getMessage());
        String deep = "[".repeat(100) + "]".repeat(100);
        assertTrue(assertThrows(InvalidMessageException.class, () -> readings.reading(bytes(deep), "d"))
                .getMessage().startsWith("malformed JSON"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
