package io.gridwire.message;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The timestamp rule of every family (timestamps.earliest 2000-01-01, timestamps.maxFutureSkew PT5M, the defaults):
 * what a device may send, and the dead letter's reason when it may not.
 */
class PayloadTimestampsTest {

    static Stream<Arguments> refused() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return Stream.of(
                Arguments.of("not a date", "yesterday", "is not an ISO-8601 instant: 'yesterday'"),
                Arguments.of("a date without time", "2026-11-30", "is not an ISO-8601 instant"),
                Arguments.of("no zone", "2026-11-30T10:00:00", "is not an ISO-8601 instant"),
                Arguments.of("an unsynced clock (1970)", "1970-01-01T00:00:07Z", "before timestamps.earliest"),
                Arguments.of("an hour ahead", now.plus(Duration.ofHours(1)).toString(), "ahead of gridwire's clock"),
                Arguments.of("a control character", "2026-11-30T10:00:00Z\u0000", "is not an ISO-8601 instant: '2026-11-30T10:00:00Z?'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedWithAReasonNamingTheClock(String what, String timestamp, String reason) {
        InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> PayloadTimestamps.parse(timestamp), what);
        assertTrue(e.getMessage().contains(reason), what + ": " + e.getMessage());
    }

    static Stream<Arguments> taken() {
        return Stream.of(
                Arguments.of("UTC", "2026-11-30T10:00:00Z", "2026-11-30T10:00:00Z"),
                Arguments.of("an offset", "2026-11-30T12:00:00+02:00", "2026-11-30T10:00:00Z"),
                Arguments.of("nanoseconds, cut to microseconds", "2026-11-30T10:00:00.123456789Z", "2026-11-30T10:00:00.123456Z"),
                Arguments.of("the earliest allowed", "2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("taken")
    void takenAsTheInstantItNames(String what, String timestamp, String expected) throws Exception {
        assertEquals(Instant.parse(expected), PayloadTimestamps.parse(timestamp), what);
    }

    @Test
    void aClockAheadWithinTheSkewIsTaken() throws Exception {
        Instant ahead = Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.MICROS);
        assertEquals(ahead, PayloadTimestamps.parse(ahead.toString()));
    }

    @Test
    void withoutATimestampTheReceiptTimeIsUsed() throws Exception {
        Instant receipt = Instant.parse("2026-11-30T10:00:00.5Z");
        PayloadTimestamps.Receipt r = PayloadTimestamps.receivedAt(receipt);
        try {
            assertEquals(receipt, PayloadTimestamps.of(new ObjectMapper().readTree("{\"power\":1}")));
            assertTrue(r.used(), "the receipt is marked used (a redelivered copy must get the same time)");
        } finally {
            PayloadTimestamps.done();
        }
    }
}
