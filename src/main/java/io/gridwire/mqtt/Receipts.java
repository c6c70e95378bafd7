package io.gridwire.mqtt;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The receipt times of messages without a timestamp that gridwire received and has not acked on the connection they
 * came on (still in a batch, or their connection dropped before the ack went out). The broker sends such a message
 * again on the next connection, before anything new (MQTT 5, 4.4: unacknowledged PUBLISH packets are resent on session
 * resumption), so the first message with the same topic and payload arriving on a later connection is that copy: it
 * takes the original's receipt time and lands under the same key (stored once, one Kafka message id). Mosquitto does
 * not always flag such copies DUP (not after its own restart), so the flag is not relied on.
 * <p>
 * Only a message of the same session (the broker kept it: session present), arriving within {@value #COPY_WINDOW_S} s
 * of its connection's start (the resent copies come first), can be a copy. Bounded: at most {@code capacity} entries,
 * none older than the MQTT session expiry (the broker keeps nothing longer); with no session kept (expiry 0), nothing
 * is remembered. Held in memory: a copy redelivered after gridwire itself restarted is a new receipt.
 */
final class Receipts {

    /** One message's receipt: when, on which connection. Identity matters (two equal payloads are two entries). */
    static final class Entry {
        final String key;
        final Instant at;
        final int connection;
        final long since = System.nanoTime();

        private Entry(String key, Instant at, int connection) {
            this.key = key;
            this.at = at;
            this.connection = connection;
        }
    }

    /** Seconds after a connection's start during which an arriving message may be a resent copy. */
    static final int COPY_WINDOW_S = 30;

    private final int capacity;
    /** Entries held, readable without the lock: the hot path skips everything while it is 0. */
    private volatile int held;
    private final long maxAgeNanos;
    private final Map<String, ArrayDeque<Entry>> byKey = new HashMap<>();
    /** Every entry, oldest first, for the bounds. */
    private final LinkedHashSet<Entry> all = new LinkedHashSet<>();

    /**
     * @param capacity      entries kept at most
     * @param maxAgeSeconds the MQTT session expiry: older entries are dropped
     */
    Receipts(int capacity, long maxAgeSeconds) {
        this.capacity = maxAgeSeconds <= 0 ? 0 : capacity;
        this.maxAgeNanos = TimeUnit.SECONDS.toNanos(Math.max(1, maxAgeSeconds));
    }

    /** Whether messages without a timestamp are remembered at all (not without a kept session). */
    boolean enabled() {
        return capacity > 0;
    }

    /** A message's key: its topic, its payload's CRC-32C and length. */
    static String key(String topic, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return topic + '\u0000' + Long.toHexString(crc.getValue()) + ':' + payload.length;
    }

    /**
     * The original of a message arriving on {@code connection}: the oldest unacked entry with its key from an earlier
     * connection of the same session, which it replaces.
     *
     * @param sessionStart    the connection the broker's session began with
     * @param connectionAgeNs how long the connection has been up, in ns
     * @return the original's receipt time, or null when the message is not a copy
     */
    synchronized Instant original(String key, int connection, int sessionStart, long connectionAgeNs) {
        if (connectionAgeNs > TimeUnit.SECONDS.toNanos(COPY_WINDOW_S)) {
            return null;
        }
        ArrayDeque<Entry> entries = byKey.get(key);
        if (entries == null) {
            return null;
        }
        long now = System.nanoTime();
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.connection < connection && e.connection >= sessionStart && now - e.since < maxAgeNanos) {
                it.remove();
                all.remove(e);
                held = all.size();
                if (entries.isEmpty()) {
                    byKey.remove(key);
                }
                return e.at;
            }
        }
        return null;
    }

    /** Records a message stamped with its receipt time; returns the entry to give to {@link #acked}. */
    synchronized Entry received(String key, Instant at, int connection) {
        long now = System.nanoTime();
        for (Iterator<Entry> it = all.iterator(); it.hasNext(); ) {
            Entry oldest = it.next();
            if (all.size() < capacity && now - oldest.since < maxAgeNanos) {
                break;
            }
            it.remove();
            drop(oldest);
        }
        held = all.size();
        Entry e = new Entry(key, at, connection);
        if (capacity == 0) {
            return e;
        }
        byKey.computeIfAbsent(key, k -> new ArrayDeque<>(2)).addLast(e);
        all.add(e);
        held = all.size();
        return e;
    }

    /** The message's ack went out on its connection: the broker will not send it again. */
    synchronized void acked(Entry e) {
        if (all.remove(e)) {
            drop(e);
            held = all.size();
        }
    }

    private void drop(Entry e) {
        ArrayDeque<Entry> entries = byKey.get(e.key);
        if (entries != null) {
            entries.remove(e);
            if (entries.isEmpty()) {
                byKey.remove(e.key);
            }
        }
    }

    /** Whether no message waits for its ack (then no arriving message can be a copy). */
    boolean isEmpty() {
        return held == 0;
    }

    /** Entries held (for tests and logs). */
    synchronized int size() {
        return all.size();
    }
}
