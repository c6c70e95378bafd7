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
 * Bounded: at most {@code capacity} entries, none older than the MQTT session expiry (the broker keeps nothing longer).
 * Held in memory: a copy redelivered after gridwire itself restarted is a new receipt.
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

    private final int capacity;
    private final long maxAgeNanos;
    private final Map<String, ArrayDeque<Entry>> byKey = new HashMap<>();
    /** Every entry, oldest first, for the bounds. */
    private final LinkedHashSet<Entry> all = new LinkedHashSet<>();

    /**
     * @param capacity      entries kept at most
     * @param maxAgeSeconds the MQTT session expiry: older entries are dropped
     */
    Receipts(int capacity, long maxAgeSeconds) {
        this.capacity = capacity;
        this.maxAgeNanos = TimeUnit.SECONDS.toNanos(Math.max(1, maxAgeSeconds));
    }

    /** A message's key: its topic, its payload's CRC-32C and length. */
    static String key(String topic, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return topic + '\u0000' + Long.toHexString(crc.getValue()) + ':' + payload.length;
    }

    /**
     * The original of a message arriving on {@code connection}: the oldest unacked entry with its key from an earlier
     * connection, which it replaces.
     *
     * @return the original's receipt time, or null when the message is not a copy
     */
    synchronized Instant original(String key, int connection) {
        ArrayDeque<Entry> entries = byKey.get(key);
        if (entries == null) {
            return null;
        }
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.connection < connection) {
                it.remove();
                all.remove(e);
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
        Entry e = new Entry(key, at, connection);
        byKey.computeIfAbsent(key, k -> new ArrayDeque<>(2)).addLast(e);
        all.add(e);
        return e;
    }

    /** The message's ack went out on its connection: the broker will not send it again. */
    synchronized void acked(Entry e) {
        if (all.remove(e)) {
            drop(e);
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
    synchronized boolean isEmpty() {
        return all.isEmpty();
    }

    /** Entries held (for tests and logs). */
    synchronized int size() {
        return all.size();
    }
}
