package io.gridwire.sites;

import io.gridwire.message.Text;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.api.Reply;
import io.gridwire.sink.Transactions;
import io.gridwire.sink.DeadLetterStore;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.message.InvalidMessageException;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/**
 * Seed 003's "Analytics Service -> Database": per-device hourly aggregates of the device-telemetry topic (samples,
 * min/max/avg power in kW, energy in kWh). A record already counted (ems_telemetry_seen, same transaction) is skipped,
 * and the Kafka offsets of a batch are committed only after its database commit, so a redelivery never counts twice.
 */
public class EmsAnalytics {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final UntilAvailable retry;
    private final DeadLetterStore deadLetters;

    public EmsAnalytics(DataSource dataSource, UntilAvailable retry, DeadLetterStore deadLetters) {
        this.dataSource = dataSource;
        this.retry = retry;
        this.deadLetters = deadLetters;
    }

    /** One device-telemetry record as the aggregates need it: power in kW, null when the record has none. */
    record Sample(String serialNumber, Instant timestamp, Double powerKw) {
    }

    /**
     * Counts a batch of device-telemetry records (the Kafka consumer's batch: body {@code List<Exchange>}, one per
     * record, value = seed 003's DEVICE_TELEMETRY JSON) in one transaction: records not counted before go into
     * ems_telemetry_seen and their power into the hourly aggregates. A record that cannot be read is stored as a dead
     * letter (route ems-analytics) and the others go on. Waits and retries while PostgreSQL is down; once the
     * transaction committed, commits the Kafka offsets (the last record of each partition in the batch).
     */
    public void applyAll(List<Exchange> records, Exchange batch) throws Exception {
        List<Sample> samples = new ArrayList<>(records.size());
        List<DeadLetterStore.Letter> unreadable = new ArrayList<>();
        for (Exchange record : records) {
            String value = record.getMessage().getBody(String.class);
            try {
                samples.add(sample(value));
            } catch (InvalidMessageException e) {
                unreadable.add(new DeadLetterStore.Letter(record.getMessage().getHeader(KafkaConstants.TOPIC, String.class),
                        value == null ? null : value.getBytes(StandardCharsets.UTF_8), e));
            }
        }
        if (!unreadable.isEmpty()) {
            deadLetters.storeLetters(batch.getContext(), "ems-analytics", unreadable);
        }
        if (!samples.isEmpty()) {
            retry.run(batch.getContext(), "EMS analytics", () -> {
                Transactions.run(dataSource, c -> count(c, samples));
                return null;
            });
        }
        // committed: now the offsets, the last record of each partition (with allowManualCommit)
        Map<Object, KafkaManualCommit> last = new LinkedHashMap<>();
        for (Exchange record : records) {
            KafkaManualCommit commit = record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit != null) {
                last.put(record.getMessage().getHeader(KafkaConstants.PARTITION), commit);
            }
        }
        last.values().forEach(KafkaManualCommit::commit);
    }

    static Sample sample(String value) throws InvalidMessageException {
        JsonNode e;
        try {
            e = value == null ? null : JSON.readTree(value);
        } catch (JsonProcessingException ex) {
            throw new InvalidMessageException("device-telemetry record is not JSON: " + ex.getOriginalMessage());
        }
        String serial = e == null ? null : e.path("serialNumber").asText(null);
        String tsText = e == null ? null : e.path("timestamp").asText(null);
        if (serial == null || tsText == null) {
            throw new InvalidMessageException("device-telemetry record without serialNumber or timestamp");
        }
        Instant ts;
        try {
            ts = Instant.parse(tsText);
        } catch (DateTimeParseException ex) {
            throw new InvalidMessageException("device-telemetry record with a bad timestamp: " + tsText);
        }
        JsonNode power = e.path("telemetryData").path("powerKw");
        return new Sample(serial, ts, power.isNumber() ? power.doubleValue() : null);
    }

    /** The hourly aggregate of one device's new samples in one hour. */
    private static final class Hour {
        long samples;
        double sum;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        Instant first;
        Instant last;

        void add(double kw, Instant ts) {
            samples++;
            sum += kw;
            min = Math.min(min, kw);
            max = Math.max(max, kw);
            first = first == null || ts.isBefore(first) ? ts : first;
            last = last == null || ts.isAfter(last) ? ts : last;
        }
    }

    private static void count(Connection c, List<Sample> samples) throws SQLException {
        // the records not counted before (a redelivered one is already in ems_telemetry_seen): one statement
        String[] serials = new String[samples.size()];
        Timestamp[] times = new Timestamp[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            serials[i] = samples.get(i).serialNumber();
            times[i] = Timestamp.from(samples.get(i).timestamp());
        }
        Set<String> fresh = new HashSet<>();
        try (PreparedStatement st = c.prepareStatement("INSERT INTO ems_telemetry_seen (serial_number, ts) "
                                                       + "SELECT * FROM unnest(?::text[], ?::timestamptz[]) "
                                                       + "ON CONFLICT DO NOTHING RETURNING serial_number, ts")) {
            st.setArray(1, c.createArrayOf("text", serials));
            st.setArray(2, c.createArrayOf("timestamptz", times));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    fresh.add(rs.getString(1) + "@" + rs.getTimestamp(2).toInstant());
                }
            }
        }
        // their power, per device and hour (a record twice in the batch counts once)
        Map<String, Map<Instant, Hour>> hours = new LinkedHashMap<>();
        for (Sample s : samples) {
            if (s.powerKw() != null && fresh.remove(s.serialNumber() + "@" + s.timestamp())) {
                hours.computeIfAbsent(s.serialNumber(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(s.timestamp().truncatedTo(ChronoUnit.HOURS), k -> new Hour())
                        .add(s.powerKw(), s.timestamp());
            }
        }
        if (hours.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO ems_hourly_aggregates AS a (serial_number, hour, samples, sum_power_kw, min_power_kw, max_power_kw, "
                + "first_ts, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (serial_number, hour) DO UPDATE SET samples = a.samples + excluded.samples, "
                + "sum_power_kw = a.sum_power_kw + excluded.sum_power_kw, "
                + "min_power_kw = least(a.min_power_kw, excluded.min_power_kw), "
                + "max_power_kw = greatest(a.max_power_kw, excluded.max_power_kw), "
                + "first_ts = least(a.first_ts, excluded.first_ts), last_ts = greatest(a.last_ts, excluded.last_ts)")) {
            for (var device : hours.entrySet()) {
                for (var hour : device.getValue().entrySet()) {
                    Hour h = hour.getValue();
                    st.setString(1, device.getKey());
                    st.setTimestamp(2, Timestamp.from(hour.getKey()));
                    st.setLong(3, h.samples);
                    st.setDouble(4, h.sum);
                    st.setDouble(5, h.min);
                    st.setDouble(6, h.max);
                    st.setTimestamp(7, Timestamp.from(h.first));
                    st.setTimestamp(8, Timestamp.from(h.last));
                    st.addBatch();
                }
            }
            st.executeBatch();
        }
    }

    /**
     * GET /api/v1/ems/devices/{serialNumber}/aggregates: hourly samples, min/max/avg power (kW) and energy (kWh)
     * (seed 003).
     *
     * @param serial the path's serial number
     * @return 200 with {serialNumber, hours: [{hour, samples, minPowerKw, maxPowerKw, avgPowerKw, firstTimestamp,
     *         lastTimestamp, energyKwh}]}, by hour
     * @throws ApiException 404 for an unknown device
     * @throws java.sql.SQLException PostgreSQL unavailable
     */
    public Reply aggregates(@Header("serialNumber") String serial) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement known = c.prepareStatement("SELECT 1 FROM ems_devices WHERE serial_number = ?")) {
            known.setString(1, serial);
            try (ResultSet rs = known.executeQuery()) {
                if (!rs.next()) {
                    throw ApiException.notFound("unknown device '" + io.gridwire.message.Text.printable(
                            String.valueOf(serial)) + "'");
                }
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "SELECT hour, samples, min_power_kw, max_power_kw, sum_power_kw / samples, first_ts, last_ts, "
                     + "sum_power_kw / samples * extract(epoch FROM last_ts - first_ts) / 3600 "
                     + "FROM ems_hourly_aggregates WHERE serial_number = ? ORDER BY hour")) {
            st.setString(1, serial);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("hour", rs.getTimestamp(1).toInstant().toString());
                    m.put("samples", rs.getLong(2));
                    m.put("minPowerKw", rs.getDouble(3));
                    m.put("maxPowerKw", rs.getDouble(4));
                    m.put("avgPowerKw", rs.getDouble(5));
                    m.put("firstTimestamp", rs.getTimestamp(6).toInstant().toString());
                    m.put("lastTimestamp", rs.getTimestamp(7).toInstant().toString());
                    m.put("energyKwh", rs.getDouble(8));
                    out.add(m);
                }
            }
        }
        return Reply.ok(Map.of("serialNumber", serial, "hours", out));
    }
}
