package io.gridwire.mqtt;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.api.JsonFields;
import io.gridwire.telemetry.InvalidMessageException;

/**
 * The "timestamp" of a device payload: an ISO-8601 instant no more than an hour ahead of gridwire's clock and not
 * before 2000 (anything else is a broken or hostile clock: the message becomes a dead letter). A payload without
 * one is stamped with the time of receipt. Both are cut to microseconds, PostgreSQL's precision.
 */
public final class PayloadTimestamps {

    private static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    private static final Duration MAX_AHEAD = Duration.ofHours(1);

    private PayloadTimestamps() {
    }

    public static Instant of(JsonNode payload) throws InvalidMessageException {
        JsonNode t = payload.get("timestamp");
        if (t == null || t.isNull()) {
            return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        }
        return parse(t.isTextual() ? t.asText() : t.toString());
    }

    public static Instant parse(String text) throws InvalidMessageException {
        Instant ts;
        try {
            ts = Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidMessageException("field 'timestamp' is not an ISO-8601 instant: '" + JsonFields.printable(text) + "'");
        }
        if (ts.isAfter(Instant.now().plus(MAX_AHEAD)) || ts.isBefore(EARLIEST)) {
            throw new InvalidMessageException("field 'timestamp' (" + ts + ") is more than an hour ahead or before 2000");
        }
        // PostgreSQL keeps microseconds: the same instant everywhere (keys matched in Java, Kafka message ids, TSDB)
        return ts.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }
}
