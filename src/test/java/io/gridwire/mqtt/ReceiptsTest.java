package io.gridwire.mqtt;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which arriving message is the resent copy of an unacked one without a timestamp (no services). */
class ReceiptsTest {

    private static final Instant T1 = Instant.parse("2026-11-30T10:00:00Z");
    private static final Instant T2 = Instant.parse("2026-11-30T10:00:05Z");

    @Test
    void theFirstEqualMessageOnALaterConnectionIsTheCopyAndTakesTheOriginalsReceipt() {
        Receipts r = new Receipts(100, 600);
        String k = Receipts.key("sites/1/devices/INV-001/telemetry", "{\"powerKw\":45.2}".getBytes());
        r.received(k, T1, 1);
        r.received(k, T2, 1); // the device sent the same payload twice: two messages
        assertNull(r.original(k, 1, 1, 0), "on the same connection an equal payload is a new message");
        assertEquals(T1, r.original(k, 2, 1, 0), "after a reconnect the copies come first, in order");
        assertEquals(T2, r.original(k, 2, 1, 0));
        assertNull(r.original(k, 2, 1, 0), "a third equal message is new");
        assertTrue(r.isEmpty());
    }

    @Test
    void anAckedMessageIsNotSentAgainSoAnEqualOneLaterIsNew() {
        Receipts r = new Receipts(100, 600);
        String k = Receipts.key("autocore/ESP32_1/telemetry", "{\"temperature\":21.5}".getBytes());
        r.acked(r.received(k, T1, 1));
        assertNull(r.original(k, 2, 1, 0));
        assertTrue(r.isEmpty());
    }

    @Test
    void notACopyOutsideTheWindowAfterTheReconnectNorFromALostSessionNorWithoutASession() {
        Receipts r = new Receipts(100, 600);
        String k = Receipts.key("pdu/s1", "{\"power\":5}".getBytes());
        r.received(k, T1, 1);
        assertNull(r.original(k, 2, 1, java.util.concurrent.TimeUnit.SECONDS.toNanos(Receipts.COPY_WINDOW_S + 1)),
                "the copies come right after the reconnect, not a minute later");
        assertNull(r.original(k, 2, 2, 0), "the broker lost the session (session present = false): nothing comes again");
        Receipts none = new Receipts(100, 0);
        none.received(k, T1, 1);
        assertTrue(none.isEmpty(), "without a kept session nothing is remembered");
    }

    @Test
    void boundedByCapacity() {
        Receipts r = new Receipts(2, 600);
        for (int i = 0; i < 5; i++) {
            r.received(Receipts.key("t", new byte[] {(byte) i}), T1, 1);
        }
        assertEquals(2, r.size());
        assertNull(r.original(Receipts.key("t", new byte[] {0}), 2, 1, 0), "the oldest went first");
        assertEquals(T1, r.original(Receipts.key("t", new byte[] {4}), 2, 1, 0));
    }
}
