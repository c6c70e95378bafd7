package io.gridwire.message;


import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.message.InvalidMessageException;

/**
 * The one timestamp rule of every family: a device's {@code timestamp} is an ISO-8601 instant not before
 * {@code timestamps.earliest} (default 2000-01-01: a device that has not synced its clock yet stamps 1970) and not
 * more than {@code timestamps.maxFutureSkew} ahead of gridwire's clock (default 5 minutes: a clock further ahead would
 * freeze every "newest wins" state until real time caught up with it). Anything else is a dead letter naming the
 * clock. A payload without one (where the family allows it) is stamped with the time of receipt: the
 * {@code mqtt-ingest:} consumer sets it per message ({@link #receivedAt}) so that a redelivered copy of a message
 * gets the receipt time of its first delivery and is stored under the same key (see io.gridwire.mqtt.MqttIngestConsumer).
 * Both are cut to microseconds, PostgreSQL's precision, so the same instant is matched in Java, PostgreSQL, the TSDB
 * and Kafka ids.
 */
public final class PayloadTimestamps {

    private static volatile Instant earliest = Instant.parse("2000-01-01T00:00:00Z");
    private static volatile Duration maxFutureSkew = Duration.ofMinutes(5);

    /**
     * The receipt time of the message a parser reads on this thread (read from the clock only when a payload has no
     * timestamp), and whether the parser took it. One per thread, reused.
     */
    public static final class Receipt {
        private Instant at;
        private boolean used;
        /** Set between receivedAt and done: a parser on this thread reads a message of an ingest route. */
        private boolean active;

        /** The receipt time (microseconds). */
        public Instant at() {
            if (at == null) {
                at = Instant.now().truncatedTo(ChronoUnit.MICROS);
            }
            return at;
        }

        /** Whether the payload had no timestamp and was stamped with {@link #at()}. */
        public boolean used() {
            return used;
        }
    }

    private static final ThreadLocal<Receipt> RECEIPT = ThreadLocal.withInitial(Receipt::new);

    private PayloadTimestamps() {
    }

    /**
     * Sets the receipt time for the parsing of one message on this thread (until {@link #done}).
     *
     * @param at the message's first receipt (a redelivered copy's is remembered), or null for now
     * @return the receipt; {@link Receipt#used()} says afterwards whether the payload needed it
     */
    public static Receipt receivedAt(Instant at) {
        Receipt r = RECEIPT.get();
        r.at = at == null ? null : at.truncatedTo(ChronoUnit.MICROS);
        r.used = false;
        r.active = true;
        return r;
    }

    /** Ends the receipt set by {@link #receivedAt} on this thread. */
    public static void done() {
        RECEIPT.get().active = false;
    }

    /**
     * Sets the rule for the whole process (at start-up, from {@code timestamps.*}).
     *
     * @param earliestAllowed the earliest instant a device may send
     * @param maxAhead        how far ahead of gridwire's clock a timestamp may be
     * @throws IllegalArgumentException for a negative skew
     */
    public static void configure(Instant earliestAllowed, Duration maxAhead) {
        if (maxAhead.isNegative()) {
            throw new IllegalArgumentException("timestamps.maxFutureSkew must not be negative, got " + maxAhead);
        }
        earliest = earliestAllowed;
        maxFutureSkew = maxAhead;
    }

    /**
     * The payload's {@code timestamp} field, or the time of receipt when it has none.
     *
     * @throws InvalidMessageException when it is not an ISO-8601 instant or breaks the rule above
     */
    public static Instant of(JsonNode payload) throws InvalidMessageException {
        JsonNode t = payload.get("timestamp");
        if (t == null || t.isNull()) {
            Receipt r = RECEIPT.get();
            if (!r.active) {
                return Instant.now().truncatedTo(ChronoUnit.MICROS);
            }
            r.used = true;
            return r.at();
        }
        return parse(t.isTextual() ? t.asText() : t.toString());
    }

    /**
     * An ISO-8601 instant ({@code Z} or an offset), checked and cut to microseconds.
     *
     * @throws InvalidMessageException when it is not one or breaks the rule above
     */
    public static Instant parse(String text) throws InvalidMessageException {
        Instant ts;
        try {
            ts = Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidMessageException("field 'timestamp' is not an ISO-8601 instant: '" + Text.printable(text) + "'");
        }
        return check(ts);
    }

    /**
     * @return {@code ts} cut to microseconds
     * @throws InvalidMessageException when it is before {@code timestamps.earliest} or more than
     *                                 {@code timestamps.maxFutureSkew} ahead of gridwire's clock
     */
    public static Instant check(Instant ts) throws InvalidMessageException {
        Instant now = Instant.now();
        if (ts.isAfter(now.plus(maxFutureSkew))) {
            throw new InvalidMessageException("field 'timestamp' " + ts + " is " + ahead(Duration.between(now, ts))
                                              + " ahead of gridwire's clock (more than timestamps.maxFutureSkew " + maxFutureSkew
                                              + "): the device's clock is wrong");
        }
        if (ts.isBefore(earliest)) {
            throw new InvalidMessageException("field 'timestamp' " + ts + " is before timestamps.earliest " + earliest
                                              + ": the device's clock is not set (not synced yet?)");
        }
        return ts.truncatedTo(ChronoUnit.MICROS);
    }

    private static String ahead(Duration d) {
        long s = d.toSeconds();
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s / 3600 + " h";
    }
}
