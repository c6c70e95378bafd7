package io.gridwire.autocore;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import io.gridwire.sink.Transactions;
import io.gridwire.message.JsonPayloads;
import io.gridwire.mqtt.MqttIngestConsumer;
import io.gridwire.message.PayloadParser;
import io.gridwire.sink.OutboxRecord;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.message.InvalidMessageException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 002's MQTT monitor: applies AutoCore status, telemetry, relay, display and system messages to PostgreSQL
 * (schema autocore), telemetry also to the InfluxDB v2 API, notifications and alerts also to Kafka, as the three
 * pipelined sink stages of the {@code autocore-ingest} route: PostgreSQL (one transaction per batch, messages applied
 * in order), then the TSDB (what PostgreSQL committed), then Kafka (the alerts and notifications still unsent). A
 * batch is acked once all three committed. Every write is keyed by device and timestamp, so a redelivery changes
 * nothing; a message older than the stored state never overwrites it.
 */
public class AutocoreMonitor implements PayloadParser {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreMonitor.class);
    private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the monitor is configured to do. */
    public record Settings(boolean autoRegister, int averagesWindow, double anomalyZScore, int anomalyMinSamples,
                           String influxMeasurement, String influxBucket, String influxOrg,
                           String notificationsTopic, String alertsTopic) {
    }

    private final DataSource dataSource;
    private final java.util.function.Supplier<String> heldBack;
    private final JsonPayloads payloads;
    private final WriteApiBlocking influx;
    private final Settings settings;
    private final java.util.function.BooleanSupplier brokerConnected;
    private final java.util.function.LongSupplier errors;
    private final io.gridwire.metrics.Meters meters;

    private final java.util.function.Supplier<MqttIngestConsumer> ingest;

    public AutocoreMonitor(DataSource dataSource, JsonPayloads payloads, WriteApiBlocking influx, Settings settings,
                           java.util.function.BooleanSupplier brokerConnected,
                           java.util.function.Supplier<String> heldBack,
                           java.util.function.LongSupplier errors, io.gridwire.metrics.Meters meters,
                           java.util.function.Supplier<MqttIngestConsumer> ingest) {
        this.ingest = ingest;
        this.meters = meters;
        this.brokerConnected = brokerConnected;
        this.heldBack = heldBack;
        this.errors = errors;
        this.dataSource = dataSource;
        this.payloads = payloads;
        this.influx = influx;
        this.settings = settings;
    }

    // ---- MQTT in: parsed on the MQTT thread ----------------------------------------------------------------------

    /**
     * The route's {@link PayloadParser} (no I/O): a seed 002 payload and the topic levels deviceId, autocoreKind
     * (status|telemetry|relay|display|system), relayIndex and systemSubtopic, as named in autocore.topics.
     *
     * @throws InvalidMessageException naming what is wrong (the dead letter's reason)
     */
    @Override
    public AutocoreMessage parse(String topic, byte[] body, Map<String, Object> levels) throws InvalidMessageException {
        Object kind = levels.get("autocoreKind");
        if (kind == null) {
            throw new InvalidMessageException("the topic is not an AutoCore topic gridwire knows (autocore.topics names the "
                                              + "levels deviceId and autocoreKind)");
        }
        String deviceId = (String) levels.get("deviceId");
        JsonNode p = parse(body, deviceId);
        return switch (kind.toString()) {
            case "status" -> status(p, deviceId);
            case "telemetry" -> telemetry(p, deviceId);
            case "relay" -> relay(p, deviceId, (String) levels.get("relayIndex"));
            case "display" -> logged(p, deviceId, AutocoreMessage.Kind.DISPLAY, null);
            case "system" -> logged(p, deviceId, AutocoreMessage.Kind.SYSTEM, (String) levels.get("systemSubtopic"));
            default -> throw new InvalidMessageException("topic kind '" + Text.printable(kind.toString())
                                                         + "' is not one of status, telemetry, relay, display, system");
        };
    }

    private static AutocoreMessage status(JsonNode p, String deviceId) throws InvalidMessageException {
        String status = text(p, "status", 32, true);
        if (!status.equals("online") && !status.equals("offline")) {
            throw new InvalidMessageException("field 'status' must be 'online' or 'offline', got '" + Text.printable(status) + "'");
        }
        String ip = text(p, "ip_address", 64, false);
        String firmware = text(p, "firmware_version", 64, false);
        Long uptime = nonNegativeLong(p, "uptime");
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.STATUS, deviceId, timestamp(p));
        m.online = status.equals("online");
        m.ipAddress = ip;
        m.firmware = firmware;
        m.uptime = uptime;
        return m;
    }

    private static AutocoreMessage telemetry(JsonNode p, String deviceId) throws InvalidMessageException {
        Instant ts = timestamp(p);
        Map<String, Double> fields = new LinkedHashMap<>();
        List<String> notNumbers = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("device_id") || f.getKey().equals("timestamp")) {
                continue;
            }
            // numbers, and numbers sent as strings ("100.00"); other text and flags are not telemetry values
            Double value = JsonPayloads.number(f.getValue());
            if (value == null) {
                notNumbers.add(Text.printable(f.getKey()));
                continue;
            }
            if (!FIELD.matcher(f.getKey()).matches()) {
                if (!f.getValue().isNumber()) {
                    notNumbers.add(Text.printable(f.getKey())); // text under a name no value may have: as before, not telemetry
                    continue;
                }
                throw new InvalidMessageException("telemetry field name '" + Text.printable(f.getKey())
                                                  + "' is not allowed (letters, digits, '_', up to 64)");
            }
            double v = value;
            if (!Double.isFinite(v)) {
                throw new InvalidMessageException("telemetry field '" + f.getKey() + "' is not a finite number");
            }
            fields.put(f.getKey(), v);
        }
        if (fields.isEmpty()) {
            throw new InvalidMessageException("telemetry has no numeric field" + (notNumbers.isEmpty() ? ""
                    : " (not numbers: " + String.join(", ", notNumbers.subList(0, Math.min(8, notNumbers.size()))) + ")"));
        }
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.TELEMETRY, deviceId, ts);
        m.fields = fields;
        try {
            m.json = JSON.writeValueAsString(fields);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidMessageException("telemetry cannot be written as JSON: " + e.getOriginalMessage());
        }
        return m;
    }

    private static AutocoreMessage relay(JsonNode p, String deviceId, String topicIndex) throws InvalidMessageException {
        int index;
        try {
            index = Integer.parseInt(String.valueOf(topicIndex));
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("relay index '" + Text.printable(String.valueOf(topicIndex))
                                              + "' in the topic is not a number");
        }
        if (index < 0 || index > 1023) {
            throw new InvalidMessageException("relay index " + index + " is out of range 0..1023");
        }
        JsonNode pi = p.get("relay_index");
        if (pi != null && !pi.isNull() && (!pi.canConvertToInt() || !pi.isIntegralNumber() || pi.intValue() != index)) {
            throw new InvalidMessageException("field 'relay_index' (" + pi + ") does not match the topic's " + index);
        }
        JsonNode stateNode = p.get("state");
        if (stateNode == null || !stateNode.isBoolean()) {
            throw new InvalidMessageException("field 'state' must be true or false");
        }
        String triggeredBy = text(p, "triggered_by", 64, false);
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.RELAY, deviceId, timestamp(p));
        m.relayIndex = index;
        m.relayState = stateNode.booleanValue();
        m.triggeredBy = triggeredBy;
        return m;
    }

    private static AutocoreMessage logged(JsonNode p, String deviceId, AutocoreMessage.Kind kind, String subtopic)
            throws InvalidMessageException {
        AutocoreMessage m = new AutocoreMessage(kind, deviceId, timestamp(p));
        m.json = p.toString();
        m.subtopic = subtopic;
        return m;
    }

    // ---- sink stage 1: PostgreSQL ------------------------------------------------------------------------------

    /**
     * Applies a batch to PostgreSQL in one transaction, message by message in order (device state, telemetry with
     * its anomaly check, relay state and history, display and system logs); then gives each message the alerts and
     * notifications not yet on Kafka (from this batch or an earlier attempt). An unknown device with
     * autocore.unknownDevices=dead-letter makes that message a dead letter; the others go on.
     *
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries, or halves the batch)
     */
    public void store(List<AutocoreMessage> batch, Exchange exchange) throws SQLException {
        long start = System.nanoTime();
        Transactions.run(dataSource, c -> {
            // devices already locked and marked seen (online) in this transaction
            Set<String> seen = new HashSet<>();
            // moving-average windows of the batch's devices
            Map<String, Window> windows = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                AutocoreMessage m = batch.get(i);
                m.records.clear();
                try {
                    switch (m.kind) {
                        case STATUS -> {
                            applyStatus(c, m);
                            seen.remove(m.deviceId);
                        }
                        case TELEMETRY -> applyTelemetry(c, m, seen, windows);
                        case RELAY -> applyRelay(c, m, seen);
                        case DISPLAY -> log(c, m, seen, "INSERT INTO autocore.display_interactions (device_id, ts, payload) "
                                                        + "VALUES (?, ?, ?::jsonb) ON CONFLICT DO NOTHING");
                        case SYSTEM -> log(c, m, seen, "INSERT INTO autocore.system_messages (device_id, ts, payload, subtopic) "
                                                       + "VALUES (?, ?, ?::jsonb, ?) ON CONFLICT DO NOTHING");
                    }
                } catch (InvalidMessageException e) {
                    // thrown before the message wrote anything (unknown device): the rest of the batch goes on
                    SinkPipeline.reject(exchange, i, e);
                }
            }
            pendingAlerts(c, batch);
            pendingNotifications(c, batch);
        });
        meters.time("gridwire_db_write", System.nanoTime() - start, "family", "autocore");
    }

    private void applyStatus(Connection c, AutocoreMessage m) throws SQLException, InvalidMessageException {
        Device before = lockDevice(c, m.deviceId, m.timestamp, true, "status");
        // an offline after an online always applies: a last will carries the time the device connected, older than
        // the online status it sent after connecting, and the broker publishes it when the device is gone
        boolean goneOffline = !m.online && before.online && !before.isNew;
        Instant at = m.timestamp;
        if (before.statusAt != null && m.timestamp.isBefore(before.statusAt)) {
            if (!goneOffline) {
                LOG.debug("AutoCore device {}: status of {} is older than the stored one; kept", m.deviceId, m.timestamp);
                return; // stale: newer state stays (equal timestamps: the later arrival wins)
            }
            at = before.statusAt; // the will's connect time is older: its history row is stamped after the online
        }
        try (PreparedStatement st = c.prepareStatement(
                "UPDATE autocore.devices SET is_online = ?, ip_address = coalesce(?, ip_address), "
                + "firmware_version = coalesce(?, firmware_version), uptime = coalesce(?, uptime), "
                + "status_at = greatest(status_at, ?), last_seen = now() WHERE device_id = ?")) {
            st.setBoolean(1, m.online);
            st.setString(2, m.ipAddress);
            st.setString(3, m.firmware);
            st.setObject(4, m.uptime);
            st.setTimestamp(5, Timestamp.from(m.timestamp));
            st.setString(6, m.deviceId);
            st.executeUpdate();
        }
        boolean ipChanged = m.ipAddress != null && !m.ipAddress.equals(before.ip);
        if (before.isNew || before.online != m.online || ipChanged) {
            connectivity(c, m.deviceId, at, m.online, m.ipAddress != null ? m.ipAddress : before.ip, before,
                    before.isNew ? "registered" : "status");
        }
        LOG.info("AutoCore device {} status updated: {}", m.deviceId, m.online ? "online" : "offline");
    }

    /**
     * The last autocore.averages.window readings of one device, newest last, as this transaction knows them: loaded
     * once per batch and device, then kept up to date with the batch's own readings while they come in timestamp
     * order (a reading older than the newest one falls back to a query).
     */
    private static final class Window {
        final java.util.ArrayDeque<Map<String, Double>> readings = new java.util.ArrayDeque<>();
        Instant newest;
    }

    private void applyTelemetry(Connection c, AutocoreMessage m, Set<String> seen, Map<String, Window> windows)
            throws SQLException, InvalidMessageException {
        seenOnce(c, m, seen, "telemetry");
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
        Map<String, double[]> stats;
        if (w.newest == null || m.timestamp.isAfter(w.newest)) {
            // newer than every stored reading: the window before it is the cached one
            stats = stats(w.readings);
            w.readings.addLast(m.fields);
            while (w.readings.size() > settings.averagesWindow()) {
                w.readings.pollFirst();
            }
            w.newest = m.timestamp;
        } else {
            // out of order: the window before this reading is not the cached one
            stats = stats(c, m.deviceId, m.timestamp);
            windows.remove(m.deviceId);
        }
        for (Map.Entry<String, Double> f : m.fields.entrySet()) {
            double[] s = stats.get(f.getKey()); // avg, stddev, count
            if (s == null || s[2] < settings.anomalyMinSamples() || !(s[1] > 0)) {
                continue;
            }
            double z = (f.getValue() - s[0]) / s[1];
            if (Math.abs(z) >= settings.anomalyZScore()) {
                alert(c, m.deviceId, f.getKey(), m.timestamp, f.getValue(), s[0], s[1], z);
            }
        }
    }

    /** autocore.telemetry.fields as stored: field name to value. */
    private static Map<String, Double> fieldsOf(String json) throws SQLException {
        Map<String, Double> fields = new LinkedHashMap<>();
        try {
            JSON.readTree(json).fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asDouble()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("autocore.telemetry.fields is not JSON: " + e.getOriginalMessage(), e);
        }
        return fields;
    }

    /** The device's newest autocore.averages.window readings stored so far, and the newest one's timestamp. */
    private Window loadWindow(Connection c, String deviceId) throws SQLException {
        Window w = new Window();
        List<Map<String, Double>> newestFirst = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement(
                "SELECT ts, fields FROM autocore.telemetry WHERE device_id = ? ORDER BY ts DESC LIMIT ?")) {
            st.setString(1, deviceId);
            st.setInt(2, settings.averagesWindow());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (w.newest == null) {
                        w.newest = rs.getTimestamp(1).toInstant();
                    }
                    Map<String, Double> fields = new LinkedHashMap<>();
                    JsonNode n;
                    try {
                        n = JSON.readTree(rs.getString(2));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new SQLException("autocore.telemetry.fields is not JSON: " + e.getOriginalMessage(), e);
                    }
                    n.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asDouble()));
                    newestFirst.add(fields);
                }
            }
        }
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            w.readings.addLast(newestFirst.get(i));
        }
        return w;
    }

    /** Average, sample standard deviation and count of each field over a window (the same figures as the query). */
    private static Map<String, double[]> stats(java.util.Collection<Map<String, Double>> window) {
        Map<String, double[]> sums = new LinkedHashMap<>(); // n, sum, sum of squares
        for (Map<String, Double> r : window) {
            for (Map.Entry<String, Double> f : r.entrySet()) {
                double[] a = sums.computeIfAbsent(f.getKey(), k -> new double[3]);
                a[0]++;
                a[1] += f.getValue();
                a[2] += f.getValue() * f.getValue();
            }
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        sums.forEach((k, a) -> {
            double n = a[0];
            double avg = a[1] / n;
            double var = n > 1 ? Math.max(0, (a[2] - n * avg * avg) / (n - 1)) : 0;
            out.put(k, new double[] {avg, Math.sqrt(var), n});
        });
        return out;
    }

    private void applyRelay(Connection c, AutocoreMessage m, Set<String> seen) throws SQLException, InvalidMessageException {
        seenOnce(c, m, seen, "relay");
        String deviceId = m.deviceId;
        int index = m.relayIndex;
        boolean state = m.relayState;
        Instant ts = m.timestamp;
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.relay_state_history (device_id, relay_index, ts, state, triggered_by) "
                + "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setInt(2, index);
            st.setTimestamp(3, Timestamp.from(ts));
            st.setBoolean(4, state);
            st.setString(5, m.triggeredBy);
            st.executeUpdate();
        }
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.relays (device_id, relay_index) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setInt(2, index);
            st.executeUpdate();
        }
        Boolean previous;
        boolean critical;
        try (PreparedStatement st = c.prepareStatement("SELECT current_state, state_at, critical FROM autocore.relays "
                                                       + "WHERE device_id = ? AND relay_index = ? FOR UPDATE")) {
            st.setString(1, deviceId);
            st.setInt(2, index);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                previous = (Boolean) rs.getObject(1);
                Timestamp at = rs.getTimestamp(2);
                critical = rs.getBoolean(3);
                if (at != null && ts.isBefore(at.toInstant())) {
                    return; // stale: the current state is newer (equal timestamps: the later arrival wins, e.g. a pulse)
                }
            }
        }
        try (PreparedStatement st = c.prepareStatement("UPDATE autocore.relays SET current_state = ?, triggered_by = ?, "
                                                       + "state_at = ? WHERE device_id = ? AND relay_index = ?")) {
            st.setBoolean(1, state);
            st.setString(2, m.triggeredBy);
            st.setTimestamp(3, Timestamp.from(ts));
            st.setString(4, deviceId);
            st.setInt(5, index);
            st.executeUpdate();
        }
        if (critical && (previous == null || previous != state)) {
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO autocore.notifications (device_id, relay_index, ts, state, message) VALUES (?,?,?,?,?) "
                    + "ON CONFLICT DO NOTHING")) {
                st.setString(1, deviceId);
                st.setInt(2, index);
                st.setTimestamp(3, Timestamp.from(ts));
                st.setBoolean(4, state);
                st.setString(5, "critical relay " + index + " of " + deviceId + " switched " + (state ? "on" : "off")
                                + (m.triggeredBy == null ? "" : " (" + m.triggeredBy + ")"));
                st.executeUpdate();
            }
        }
        LOG.debug("AutoCore device {} relay {} -> {}", deviceId, index, state);
    }

    private void log(Connection c, AutocoreMessage m, Set<String> seen, String sql) throws SQLException, InvalidMessageException {
        seenOnce(c, m, seen, m.kind.name().toLowerCase(Locale.ROOT));
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, m.deviceId);
            st.setTimestamp(2, Timestamp.from(m.timestamp));
            st.setString(3, m.json);
            if (m.subtopic != null) {
                st.setString(4, m.subtopic);
            }
            st.executeUpdate();
        }
    }

    /** {@link #seen} once per device and transaction (until a status message changes the device's state). */
    private void seenOnce(Connection c, AutocoreMessage m, Set<String> seen, String kind) throws SQLException, InvalidMessageException {
        if (!seen.contains(m.deviceId)) {
            seen(c, m.deviceId, m.timestamp, kind);
            seen.add(m.deviceId);
        }
    }

    private String line(String deviceId, Instant ts, Map<String, Double> fields) {
        StringBuilder b = new StringBuilder(escape(settings.influxMeasurement())).append(",device_id=").append(escape(deviceId)).append(' ');
        boolean first = true;
        for (Map.Entry<String, Double> f : fields.entrySet()) {
            b.append(first ? "" : ",").append(f.getKey()).append('=').append(f.getValue());
            first = false;
        }
        return b.append(' ').append(TimeUnit.SECONDS.toNanos(ts.getEpochSecond()) + ts.getNano()).toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
    }

    /** Average, sample standard deviation and count of each field over the window of readings before ts. */
    private Map<String, double[]> stats(Connection c, String deviceId, Instant before) throws SQLException {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (PreparedStatement st = c.prepareStatement(
                "SELECT f.key, avg(f.value::float8), coalesce(stddev_samp(f.value::float8), 0), count(*) FROM "
                + "(SELECT fields FROM autocore.telemetry WHERE device_id = ? AND ts < ? ORDER BY ts DESC LIMIT ?) t, "
                + "jsonb_each_text(t.fields) f GROUP BY f.key ORDER BY f.key")) {
            st.setString(1, deviceId);
            st.setTimestamp(2, Timestamp.from(before));
            st.setInt(3, settings.averagesWindow());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new double[] {rs.getDouble(2), rs.getDouble(3), rs.getLong(4)});
                }
            }
        }
        return out;
    }

    private void alert(Connection c, String deviceId, String field, Instant ts, double value, double avg, double sd, double z)
            throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.alerts (device_id, field, ts, value, average, stddev, z_score) VALUES (?,?,?,?,?,?,?) "
                + "ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setString(2, field);
            st.setTimestamp(3, Timestamp.from(ts));
            st.setDouble(4, value);
            st.setDouble(5, avg);
            st.setDouble(6, sd);
            st.setDouble(7, z);
            st.executeUpdate();
        }
        LOG.warn("AutoCore anomaly on {} {}: {} is {} standard deviations from the moving average {}", deviceId, field, value,
                String.format(Locale.ROOT, "%.1f", z), String.format(Locale.ROOT, "%.3f", avg));
    }

    /** The batch's telemetry messages with alerts not yet on Kafka get them as records (one query). */
    private void pendingAlerts(Connection c, List<AutocoreMessage> batch) throws SQLException {
        Map<String, AutocoreMessage> byKey = new HashMap<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.TELEMETRY) {
                byKey.put(m.deviceId + "@" + m.timestamp, m);
            }
        }
        if (byKey.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT a.id, a.device_id, a.ts, a.field, a.value, a.average, a.stddev, a.z_score FROM autocore.alerts a "
                + "JOIN unnest(?::text[], ?::timestamptz[]) AS k(device_id, ts) ON a.device_id = k.device_id AND a.ts = k.ts "
                + "WHERE a.sent_at IS NULL ORDER BY a.id")) {
            keys(c, st, byKey.values());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    AutocoreMessage m = byKey.get(rs.getString(2) + "@" + rs.getTimestamp(3).toInstant());
                    if (m == null) {
                        continue;
                    }
                    ObjectNode n = JSON.createObjectNode();
                    n.put("type", "anomaly");
                    n.put("device_id", m.deviceId);
                    n.put("field", rs.getString(4));
                    n.put("value", rs.getDouble(5));
                    n.put("average", rs.getDouble(6));
                    n.put("stddev", rs.getDouble(7));
                    n.put("z_score", rs.getDouble(8));
                    n.put("timestamp", m.timestamp.toString());
                    m.records.add(new OutboxRecord(settings.alertsTopic(), m.deviceId,
                            m.deviceId + "@" + m.timestamp + "#" + rs.getString(4), n.toString(), "autocore.alerts", rs.getLong(1)));
                }
            }
        }
    }

    /** The batch's relay messages with notifications not yet on Kafka get them as records (one query). */
    private void pendingNotifications(Connection c, List<AutocoreMessage> batch) throws SQLException {
        Map<String, AutocoreMessage> byKey = new HashMap<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.RELAY) {
                // keyed by state too: a pulse (on, off) at one timestamp is two notifications, one per message
                byKey.put(m.deviceId + "@" + m.timestamp + "#" + m.relayIndex + "=" + m.relayState, m);
            }
        }
        if (byKey.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT n.id, n.device_id, n.ts, n.relay_index, n.state, n.message FROM autocore.notifications n "
                + "JOIN unnest(?::text[], ?::timestamptz[]) AS k(device_id, ts) ON n.device_id = k.device_id AND n.ts = k.ts "
                + "WHERE n.sent_at IS NULL ORDER BY n.id")) {
            keys(c, st, byKey.values());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    AutocoreMessage m = byKey.get(rs.getString(2) + "@" + rs.getTimestamp(3).toInstant() + "#" + rs.getInt(4)
                                                  + "=" + rs.getBoolean(5));
                    if (m == null) {
                        continue;
                    }
                    ObjectNode o = JSON.createObjectNode();
                    o.put("type", "critical_relay");
                    o.put("device_id", m.deviceId);
                    o.put("relay_index", m.relayIndex);
                    o.put("state", rs.getBoolean(5));
                    o.put("triggered_by", m.triggeredBy);
                    o.put("message", rs.getString(6));
                    o.put("timestamp", m.timestamp.toString());
                    m.records.add(new OutboxRecord(settings.notificationsTopic(), m.deviceId,
                            m.deviceId + "@" + m.timestamp + "#relay" + m.relayIndex + (rs.getBoolean(5) ? "-on" : "-off"), o.toString(),
                            "autocore.notifications",
                            rs.getLong(1)));
                    LOG.info("Notification: {}", rs.getString(6));
                }
            }
        }
    }

    private static void keys(Connection c, PreparedStatement st, java.util.Collection<AutocoreMessage> messages) throws SQLException {
        String[] ids = new String[messages.size()];
        Timestamp[] times = new Timestamp[messages.size()];
        int i = 0;
        for (AutocoreMessage m : messages) {
            ids[i] = m.deviceId;
            times[i++] = Timestamp.from(m.timestamp);
        }
        st.setArray(1, c.createArrayOf("text", ids));
        st.setArray(2, c.createArrayOf("timestamptz", times));
    }

    // ---- sink stage 2: the TSDB --------------------------------------------------------------------------------

    /**
     * Writes the batch's telemetry (what PostgreSQL committed) to the InfluxDB v2 API as line protocol, one request,
     * measurement influx.measurement.autocore, tag device_id, nanosecond timestamps (a redelivery rewrites the same
     * points).
     *
     * @throws com.influxdb.exceptions.InfluxException the TSDB unavailable or refusing (the pipeline retries or halves)
     */
    public void writeTsdb(List<AutocoreMessage> batch) {
        List<String> lines = new ArrayList<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.TELEMETRY) {
                lines.add(line(m.deviceId, m.timestamp, m.fields));
            }
        }
        if (!lines.isEmpty()) {
            influx.writeRecords(settings.influxBucket(), settings.influxOrg(), WritePrecision.NS, lines);
        }
    }

    // ---- sink stage 3: Kafka -----------------------------------------------------------------------------------

    /** Exchange property of the Kafka stage: the batch's records ({@link OutboxRecord}). */
    public static final String RECORDS = "autocoreKafkaRecords";

    /**
     * The alerts (kafka.topics.deviceAlerts) and critical relay notifications (kafka.topics.deviceNotifications) the
     * batch still owes, as camel-kafka's batch body; also in exchange property {@value #RECORDS} for {@link #markSent}.
     */
    public List<Message> records(List<AutocoreMessage> batch, Exchange exchange) {
        List<OutboxRecord> records = new ArrayList<>();
        for (AutocoreMessage m : batch) {
            records.addAll(m.records);
        }
        exchange.setProperty(RECORDS, records);
        return OutboxRecord.messages(exchange.getContext(), records);
    }

    /** Marks the records Kafka acknowledged sent in their outbox tables. */
    @SuppressWarnings("unchecked")
    public void markSent(Exchange exchange) throws SQLException {
        List<OutboxRecord> records = exchange.getProperty(RECORDS, List.class);
        OutboxRecord.markSent(dataSource, records == null ? List.of() : records);
    }

    // ---- devices -----------------------------------------------------------------------------------------------

    /** A device's state before this message. */
    private record Device(boolean isNew, boolean online, String ip, Instant statusAt) {
    }

    /**
     * Locks the device's row, registering the device if it is unknown and registration is allowed (status
     * messages always announce a device; other kinds only with autocore.unknownDevices=auto-register).
     */
    private Device lockDevice(Connection c, String deviceId, Instant ts, boolean announce, String kind)
            throws SQLException, InvalidMessageException {
        try (PreparedStatement st = c.prepareStatement("SELECT is_online, ip_address, status_at FROM autocore.devices "
                                                       + "WHERE device_id = ? FOR UPDATE")) {
            st.setString(1, deviceId);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    Timestamp at = rs.getTimestamp(3);
                    return new Device(false, rs.getBoolean(1), rs.getString(2), at == null ? null : at.toInstant());
                }
            }
        }
        if (!announce && !settings.autoRegister()) {
            throw new InvalidMessageException("unknown AutoCore device '" + deviceId + "' (it has sent no status; "
                                              + "autocore.unknownDevices=dead-letter)");
        }
        try (PreparedStatement st = c.prepareStatement("INSERT INTO autocore.devices (device_id, is_online, last_seen, "
                                                       + "registered_by) VALUES (?, ?, now(), ?)")) {
            st.setString(1, deviceId);
            st.setBoolean(2, !announce);
            st.setString(3, kind);
            st.executeUpdate();
        }
        if (!announce) {
            connectivity(c, deviceId, ts, true, null, new Device(true, false, null, null), "registered");
        }
        LOG.info("AutoCore device {} registered (first message: {})", deviceId, kind);
        return new Device(true, false, null, null);
    }

    /**
     * A message from the device: last seen (when gridwire heard from it, not the device's clock) moves on; a device
     * marked offline by silence is online again.
     */
    private void seen(Connection c, String deviceId, Instant ts, String kind) throws SQLException, InvalidMessageException {
        Device d = lockDevice(c, deviceId, ts, false, kind);
        if (d.isNew) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement("UPDATE autocore.devices SET last_seen = now(), "
                                                       + "is_online = true WHERE device_id = ?")) {
            st.setString(1, deviceId);
            st.executeUpdate();
        }
        if (!d.online) {
            connectivity(c, deviceId, ts, true, d.ip, d, "message received");
        }
    }

    private static void connectivity(Connection c, String deviceId, Instant ts, boolean online, String ip, Device before,
                                     String reason) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO autocore.connectivity_history (device_id, ts, is_online, ip_address, previous_online, previous_ip, "
                + "reason) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setTimestamp(2, Timestamp.from(ts));
            st.setBoolean(3, online);
            st.setString(4, ip);
            st.setObject(5, before.isNew ? null : before.online);
            st.setString(6, before.ip);
            st.setString(7, reason);
            st.executeUpdate();
        }
    }

    // ---- shared ------------------------------------------------------------------------------------------------

    /**
     * Seed 002's GET /health/mqtt-monitor: 200 while connected to the broker and no sink holds the family's messages
     * back longer than ingest.heldBackHealthMs, else 503 (with {@code held_back} naming the sink and its reason).
     */
    public void health(Exchange e) {
        boolean connected = brokerConnected.getAsBoolean();
        String held = heldBack.get();
        boolean healthy = connected && held == null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", healthy ? "healthy" : "unhealthy");
        m.put("broker_connected", connected);
        if (held != null) {
            m.put("held_back", held); // a sink keeps the family's messages waiting longer than ingest.heldBackHealthMs
        }
        MqttIngestConsumer consumer = ingest.get();
        Instant last = consumer == null ? null : consumer.lastCommitted();
        m.put("last_message_time", last == null ? null : last.toString());
        m.put("messages_processed", consumer == null ? 0 : consumer.acked(false));
        m.put("errors_count", errors.getAsLong());
        io.gridwire.api.Http.respond(e, healthy ? 200 : 503, m);
    }

    private JsonNode parse(byte[] body, String topicDeviceId) throws InvalidMessageException {
        if (topicDeviceId == null || !Text.ID.matcher(topicDeviceId).matches()) {
            throw new InvalidMessageException("device id in the topic must be 1-64 letters, digits, '.', '_' or '-'");
        }
        JsonNode p = payloads.tree(body);
        JsonNode id = p.get("device_id");
        if (id != null && !id.isNull() && !topicDeviceId.equals(id.asText())) {
            throw new InvalidMessageException("field 'device_id' (" + Text.printable(id.asText())
                                              + ") does not match the topic's '" + topicDeviceId + "'");
        }
        return p;
    }

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return io.gridwire.message.PayloadTimestamps.of(p);
    }

    private static String text(JsonNode p, String field, int max, boolean required) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new InvalidMessageException("field '" + field + "' is missing");
            }
            return null;
        }
        if (!n.isTextual() || n.asText().length() > max) {
            throw new InvalidMessageException("field '" + field + "' must be a string of at most " + max + " characters");
        }
        return n.asText();
    }

    private static Long nonNegativeLong(JsonNode p, String field) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new InvalidMessageException("field '" + field + "' must be a whole number >= 0");
        }
        return n.longValue();
    }
}
