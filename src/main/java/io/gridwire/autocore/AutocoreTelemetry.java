package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Telemetry rows inside the PostgreSQL stage's transaction: each reading stored (merged with another for the same
 * device and timestamp), judged against the moving window of the device's readings before it, and its anomalies
 * written to autocore.alerts (from where the Kafka stage publishes them).
 */
final class AutocoreTelemetry {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreTelemetry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The last autocore.averages.window readings of one device, newest last, as this transaction knows them: loaded
     * once per batch and device, then kept up to date with the batch's own readings while they come in timestamp
     * order (a reading older than the newest one falls back to a query).
     */
    static final class Window {
        final ArrayDeque<Map<String, Double>> readings = new ArrayDeque<>();
        Instant newest;
    }

    private final int averagesWindow;
    private final AnomalyDetector detector;

    /** @param averagesWindow readings in the moving window (autocore.averages.window) */
    AutocoreTelemetry(int averagesWindow, AnomalyDetector detector) {
        this.averagesWindow = averagesWindow;
        this.detector = detector;
    }

    /** Stores a telemetry message and writes an alert for each anomaly; {@code windows} lives for one transaction. */
    void apply(Connection c, AutocoreMessage m, Map<String, Window> windows) throws SQLException {
        Window w = windows.get(m.deviceId);
        if (w == null) {
            w = loadWindow(c, m.deviceId);
            windows.put(m.deviceId, w);
        }
        // two messages with one timestamp ({"temperature":..} then {"humidity":..}): their fields are merged, a field
        // in both takes the later arrival's value; the TSDB stage writes the merged fields, so both sinks hold them
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.telemetry AS t (device_id, ts, fields) VALUES (?, ?, ?::jsonb) "
                + "ON CONFLICT (device_id, ts) DO UPDATE SET fields = t.fields || excluded.fields "
                + "RETURNING (xmax = 0) AS inserted, CASE WHEN xmax = 0 THEN NULL ELSE fields::text END")) {
            st.setString(1, m.deviceId);
            st.setTimestamp(2, Timestamp.from(m.timestamp));
            st.setString(3, m.json);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    // a redelivery or a second message for this timestamp: stored and judged before; the merged fields
                    m.json = rs.getString(2);
                    m.fields = fieldsOf(m.json);
                    windows.remove(m.deviceId);
                    return;
                }
            }
        }
        Map<String, AnomalyDetector.FieldStats> stats;
        if (w.newest == null || m.timestamp.isAfter(w.newest)) {
            // newer than every stored reading: the window before it is the cached one
            stats = AnomalyDetector.stats(w.readings);
            w.readings.addLast(m.fields);
            while (w.readings.size() > averagesWindow) {
                w.readings.pollFirst();
            }
            w.newest = m.timestamp;
        } else {
            // out of order: the window before this reading is not the cached one
            stats = stats(c, m.deviceId, m.timestamp);
            windows.remove(m.deviceId);
        }
        for (AnomalyDetector.Anomaly a : detector.judge(m.fields, stats)) {
            alert(c, m.deviceId, m.timestamp, a);
        }
    }

    /** autocore.telemetry.fields as stored: field name to value. */
    private static Map<String, Double> fieldsOf(String json) throws SQLException {
        Map<String, Double> fields = new LinkedHashMap<>();
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SQLException("autocore.telemetry.fields is not JSON: " + e.getOriginalMessage(), e);
        }
        n.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asDouble()));
        return fields;
    }

    /** The device's newest autocore.averages.window readings stored so far, and the newest one's timestamp. */
    private Window loadWindow(Connection c, String deviceId) throws SQLException {
        Window w = new Window();
        List<Map<String, Double>> newestFirst = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(
                "SELECT ts, fields FROM autocore.telemetry WHERE device_id = ? ORDER BY ts DESC LIMIT ?")) {
            st.setString(1, deviceId);
            st.setInt(2, averagesWindow);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (w.newest == null) {
                        w.newest = rs.getTimestamp(1).toInstant();
                    }
                    newestFirst.add(fieldsOf(rs.getString(2)));
                }
            }
        }
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            w.readings.addLast(newestFirst.get(i));
        }
        return w;
    }

    /** Average, sample standard deviation and count of each field over the window of readings before ts. */
    private Map<String, AnomalyDetector.FieldStats> stats(Connection c, String deviceId, Instant before) throws SQLException {
        Map<String, AnomalyDetector.FieldStats> out = new LinkedHashMap<>();
        try (PreparedStatement st = c.prepareStatement(
                "SELECT f.key, avg(f.value::float8), coalesce(stddev_samp(f.value::float8), 0), count(*) FROM "
                + "(SELECT fields FROM autocore.telemetry WHERE device_id = ? AND ts < ? ORDER BY ts DESC LIMIT ?) t, "
                + "jsonb_each_text(t.fields) f GROUP BY f.key ORDER BY f.key")) {
            st.setString(1, deviceId);
            st.setTimestamp(2, Timestamp.from(before));
            st.setInt(3, averagesWindow);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new AnomalyDetector.FieldStats(rs.getDouble(2), rs.getDouble(3), rs.getLong(4)));
                }
            }
        }
        return out;
    }

    private static void alert(Connection c, String deviceId, Instant ts, AnomalyDetector.Anomaly a) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.alerts (device_id, field, ts, value, average, stddev, z_score) VALUES (?,?,?,?,?,?,?) "
                + "ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setString(2, a.field());
            st.setTimestamp(3, Timestamp.from(ts));
            st.setDouble(4, a.value());
            st.setDouble(5, a.average());
            st.setDouble(6, a.stddev());
            st.setDouble(7, a.zScore());
            st.executeUpdate();
        }
        LOG.warn("AutoCore anomaly on {} {}: {} is {} standard deviations from the moving average {}", deviceId, a.field(),
                a.value(), String.format(Locale.ROOT, "%.1f", a.zScore()), String.format(Locale.ROOT, "%.3f", a.average()));
    }
}
