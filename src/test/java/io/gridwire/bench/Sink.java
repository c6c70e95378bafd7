package io.gridwire.bench;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One place a family's messages must be committed in, as the bench counts them there: a phase's messages are those of
 * the run's devices stamped (by mqttload, at publish) no earlier than the phase began.
 */
public abstract class Sink {

    /** A measured stretch: n messages over the devices, published from since on. */
    public record Phase(String name, List<String> devices, Instant since, int n) {
    }

    final String name;

    Sink(String name) {
        this.name = name;
    }

    /** Before the phase's first publish. */
    void begin(Phase p) {
    }

    /** The phase's messages there now; called at most a few times a second while waiting, so it must be cheap. */
    abstract long count(Phase p);

    /** {publish µs, commit µs} of each message, read once all landed; null when the sink has no commit clock. */
    List<long[]> times(Phase p) {
        return null;
    }

    /** The commit clock times() reads, for the output; null when the bench can only note when it saw them (poll). */
    String clock() {
        return null;
    }

    /** Counts show what became visible after the commit (QuestDB applies its WAL asynchronously): not a commit time. */
    boolean visibleLater() {
        return false;
    }

    void close() {
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    /** A Kafka topic; commit clock = the record's CreateTime (gridwire handed it to its producer), key = device. */
    static final class Kafka extends Sink {
        private final String topic;
        private final String keyPrefix;
        private KafkaReader reader;

        Kafka(String topic, String keyPrefix) {
            super("Kafka " + topic);
            this.topic = topic;
            this.keyPrefix = keyPrefix;
        }

        @Override
        void begin(Phase p) {
            close();
            reader = new KafkaReader(topic);
        }

        @Override
        long count(Phase p) {
            long written = reader.written(); // end offsets only: cheap for everyone
            return written < p.n() ? written : ours(p).size();
        }

        /** The phase's records, one per message (a redelivered copy counted once). */
        private List<ConsumerRecord<String, String>> ours(Phase p) {
            long since = micros(p.since());
            Set<String> seen = new HashSet<>();
            List<ConsumerRecord<String, String>> out = new ArrayList<>();
            for (ConsumerRecord<String, String> r : reader.records(keyPrefix)) {
                long ts = payloadMicros(r.value());
                if (ts >= since && seen.add(r.key() + "@" + ts)) {
                    out.add(r);
                }
            }
            return out;
        }

        @Override
        List<long[]> times(Phase p) {
            return ours(p).stream().map(r -> new long[] {payloadMicros(r.value()), r.timestamp() * 1000}).toList();
        }

        @Override
        String clock() {
            return "Kafka CreateTime";
        }

        @Override
        void close() {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }

        /** The payload's "timestamp", which mqttload set to the publish time. */
        private static long payloadMicros(String value) {
            int i = value.indexOf("\"timestamp\":\"") + 13;
            return micros(Instant.parse(value.substring(i, value.indexOf('"', i))));
        }
    }

    /** A PostgreSQL table; commit clock = a received_at column (DEFAULT now(): the writing transaction's start), if any. */
    static final class Postgres extends Sink {
        private final String table;
        private final String device;
        private final String ts;
        private final String receivedAt;

        Postgres(String table, String device, String ts, String receivedAt) {
            super("PostgreSQL " + table);
            this.table = table;
            this.device = device;
            this.ts = ts;
            this.receivedAt = receivedAt;
        }

        private String where() {
            return " FROM " + table + " WHERE " + device + " = ANY (string_to_array(?, ',')) AND " + ts + " >= ?";
        }

        @Override
        long count(Phase p) {
            return Sinks.count("SELECT count(*)" + where(), String.join(",", p.devices()),
                    OffsetDateTime.ofInstant(p.since(), ZoneOffset.UTC));
        }

        @Override
        List<long[]> times(Phase p) {
            if (receivedAt == null) {
                return null;
            }
            List<Map<String, Object>> rows = Sinks.rows("SELECT (extract(epoch FROM " + ts + ") * 1000000)::bigint AS t, "
                    + "(extract(epoch FROM " + receivedAt + ") * 1000000)::bigint AS c" + where(),
                    String.join(",", p.devices()), OffsetDateTime.ofInstant(p.since(), ZoneOffset.UTC));
            return rows.stream().map(r -> new long[] {((Number) r.get("t")).longValue(), ((Number) r.get("c")).longValue()})
                    .toList();
        }

        @Override
        String clock() {
            return receivedAt == null ? null : "PostgreSQL " + receivedAt + " (transaction start)";
        }
    }

    /** Points of a measurement in the TSDB (QuestDB's SQL): their count shows when they became visible, not committed. */
    static final class Tsdb extends Sink {
        private final String measurement;
        private final String devicePrefix;

        Tsdb(String measurement, String devicePrefix) {
            super("TSDB " + measurement);
            this.measurement = measurement;
            this.devicePrefix = devicePrefix;
        }

        @Override
        long count(Phase p) {
            return Sinks.points("SELECT count() c FROM " + measurement + " WHERE device_id LIKE '" + devicePrefix
                                + "%' AND timestamp >= '" + p.since() + "'").get(0).get("c").asLong();
        }

        @Override
        boolean visibleLater() {
            return true;
        }
    }
}
