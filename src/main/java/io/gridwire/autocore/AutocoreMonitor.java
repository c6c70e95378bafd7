package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import io.gridwire.api.JsonFields;
import io.gridwire.db.Transactions;
import io.gridwire.mqtt.JsonPayloads;
import io.gridwire.sink.KafkaSender;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.telemetry.InvalidMessageException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 002's MQTT monitor: applies AutoCore status, telemetry, relay, display and system messages to PostgreSQL
 * (schema autocore), telemetry also to the InfluxDB v2 API, notifications and alerts also to Kafka. Each message is
 * one database transaction; the message is acked once that committed and the TSDB and Kafka writes it causes were
 * acknowledged. Every write is keyed by device and timestamp, so a redelivery changes nothing; a message older
 * than the stored state never overwrites it.
 */
public class AutocoreMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreMonitor.class);
    private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the monitor is configured to do. */
    public record Settings(boolean autoRegister, int averagesWindow, double anomalyZScore, int anomalyMinSamples,
                           String influxMeasurement, String influxBucket, String influxOrg,
                           String notificationsTopic, String alertsTopic) {
    }

    private final DataSource dataSource;
    private final JsonPayloads payloads;
    private final UntilAvailable retry;
    private final WriteApiBlocking influx;
    private final Settings settings;
    private final KafkaSender kafka;
    private final java.util.function.BooleanSupplier brokerConnected;
    private final java.util.function.LongSupplier errors;
    private final io.gridwire.metrics.Meters meters;

    private final AtomicLong processed = new AtomicLong();
    private volatile Instant lastMessageTime;

    public AutocoreMonitor(DataSource dataSource, JsonPayloads payloads, UntilAvailable retry, WriteApiBlocking influx,
                           KafkaSender kafka, Settings settings, java.util.function.BooleanSupplier brokerConnected,
                           java.util.function.LongSupplier errors, io.gridwire.metrics.Meters meters) {
        this.meters = meters;
        this.brokerConnected = brokerConnected;
        this.errors = errors;
        this.dataSource = dataSource;
        this.payloads = payloads;
        this.retry = retry;
        this.influx = influx;
        this.kafka = kafka;
        this.settings = settings;
    }

    // ---- status ------------------------------------------------------------------------------------------------

    public void status(@Body byte[] body, @Header(AutocoreTopic.DEVICE_ID) String deviceId, Exchange exchange) throws Exception {
        JsonNode p = parse(body, deviceId);
        String status = text(p, "status", 32, true);
        if (!status.equals("online") && !status.equals("offline")) {
            throw new InvalidMessageException("field 'status' must be 'online' or 'offline', got '" + JsonFields.printable(status) + "'");
        }
        boolean online = status.equals("online");
        String ip = text(p, "ip_address", 64, false);
        String firmware = text(p, "firmware_version", 64, false);
        Long uptime = nonNegativeLong(p, "uptime");
        Instant ts = timestamp(p);
        boolean applied = retry.run(exchange.getContext(), "AutoCore status of " + deviceId, () -> inTransaction(c -> {
            Device before = lockDevice(c, deviceId, ts, true, "status");
            if (before.statusAt != null && !ts.isAfter(before.statusAt)) {
                return false; // stale or a redelivery: newer state stays
            }
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE autocore.devices SET is_online = ?, ip_address = coalesce(?, ip_address), "
                    + "firmware_version = coalesce(?, firmware_version), uptime = coalesce(?, uptime), status_at = ?, "
                    + "last_seen = now() WHERE device_id = ?")) {
                st.setBoolean(1, online);
                st.setString(2, ip);
                st.setString(3, firmware);
                st.setObject(4, uptime);
                st.setTimestamp(5, Timestamp.from(ts));
                st.setString(6, deviceId);
                st.executeUpdate();
            }
            boolean ipChanged = ip != null && !ip.equals(before.ip);
            if (before.isNew || before.online != online || ipChanged) {
                connectivity(c, deviceId, ts, online, ip != null ? ip : before.ip, before, before.isNew ? "registered" : "status");
            }
            return true;
        }));
        if (applied) {
            LOG.info("AutoCore device {} status updated: {}", deviceId, status);
        } else {
            LOG.debug("AutoCore device {}: status of {} is not newer than the stored one; kept", deviceId, ts);
        }
    }

    // ---- telemetry ---------------------------------------------------------------------------------------------

    public void telemetry(@Body byte[] body, @Header(AutocoreTopic.DEVICE_ID) String deviceId, Exchange exchange) throws Exception {
        JsonNode p = parse(body, deviceId);
        Instant ts = timestamp(p);
        Map<String, Double> fields = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("device_id") || f.getKey().equals("timestamp") || !f.getValue().isNumber()) {
                continue; // text and flags are not telemetry values
            }
            if (!FIELD.matcher(f.getKey()).matches()) {
                throw new InvalidMessageException("telemetry field name '" + JsonFields.printable(f.getKey())
                                                  + "' is not allowed (letters, digits, '_', up to 64)");
            }
            double v = f.getValue().doubleValue();
            if (!Double.isFinite(v)) {
                throw new InvalidMessageException("telemetry field '" + f.getKey() + "' is not a finite number");
            }
            fields.put(f.getKey(), v);
        }
        if (fields.isEmpty()) {
            throw new InvalidMessageException("telemetry has no numeric field");
        }
        String json = JSON.writeValueAsString(fields);
        retry.run(exchange.getContext(), "AutoCore telemetry of " + deviceId, () -> inTransaction(c -> {
            seen(c, deviceId, ts, "telemetry");
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO autocore.telemetry (device_id, ts, fields) VALUES (?, ?, ?::jsonb) ON CONFLICT DO NOTHING")) {
                st.setString(1, deviceId);
                st.setTimestamp(2, Timestamp.from(ts));
                st.setString(3, json);
                if (st.executeUpdate() == 0) {
                    return null; // a redelivery: stored and judged before
                }
            }
            Map<String, double[]> stats = stats(c, deviceId, ts);
            for (Map.Entry<String, Double> f : fields.entrySet()) {
                double[] s = stats.get(f.getKey()); // avg, stddev, count
                if (s == null || s[2] < settings.anomalyMinSamples() || !(s[1] > 0)) {
                    continue;
                }
                double z = (f.getValue() - s[0]) / s[1];
                if (Math.abs(z) >= settings.anomalyZScore()) {
                    alert(c, deviceId, f.getKey(), ts, f.getValue(), s[0], s[1], z);
                }
            }
            return null;
        }));
        retry.run(exchange.getContext(), "InfluxDB write of AutoCore telemetry", () -> {
            influx.writeRecord(settings.influxBucket(), settings.influxOrg(), WritePrecision.NS, line(deviceId, ts, fields));
            return null;
        });
        sendAlerts(exchange, deviceId, ts);
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
                String.format(java.util.Locale.ROOT, "%.1f", z), String.format(java.util.Locale.ROOT, "%.3f", avg));
    }

    /** Alerts of this reading not yet on Kafka: sent, then marked sent (a redelivery sends what is left). */
    private void sendAlerts(Exchange exchange, String deviceId, Instant ts) throws Exception {
        List<Object[]> pending = pending("SELECT id, field, value, average, stddev, z_score FROM autocore.alerts "
                                         + "WHERE device_id = ? AND ts = ? AND sent_at IS NULL", exchange, deviceId, ts);
        for (Object[] a : pending) {
            ObjectNode n = JSON.createObjectNode();
            n.put("type", "anomaly");
            n.put("device_id", deviceId);
            n.put("field", (String) a[1]);
            n.put("value", (Double) a[2]);
            n.put("average", (Double) a[3]);
            n.put("stddev", (Double) a[4]);
            n.put("z_score", (Double) a[5]);
            n.put("timestamp", ts.toString());
            send(exchange, settings.alertsTopic(), deviceId, deviceId + "@" + ts + "#" + a[1], n, "autocore.alerts", (Long) a[0]);
        }
    }

    // ---- relays ------------------------------------------------------------------------------------------------

    public void relay(@Body byte[] body, @Header(AutocoreTopic.DEVICE_ID) String deviceId,
                      @Header(AutocoreTopic.RELAY_INDEX) String topicIndex, Exchange exchange) throws Exception {
        JsonNode p = parse(body, deviceId);
        int index;
        try {
            index = Integer.parseInt(topicIndex);
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("relay index '" + JsonFields.printable(topicIndex) + "' in the topic is not a number");
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
        boolean state = stateNode.booleanValue();
        String triggeredBy = text(p, "triggered_by", 64, false);
        Instant ts = timestamp(p);
        retry.run(exchange.getContext(), "AutoCore relay of " + deviceId, () -> inTransaction(c -> {
            seen(c, deviceId, ts, "relay");
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO autocore.relay_state_history (device_id, relay_index, ts, state, triggered_by) "
                    + "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING")) {
                st.setString(1, deviceId);
                st.setInt(2, index);
                st.setTimestamp(3, Timestamp.from(ts));
                st.setBoolean(4, state);
                st.setString(5, triggeredBy);
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
                    if (at != null && !ts.isAfter(at.toInstant())) {
                        return null; // stale or a redelivery: the current state is newer
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement("UPDATE autocore.relays SET current_state = ?, triggered_by = ?, "
                                                           + "state_at = ? WHERE device_id = ? AND relay_index = ?")) {
                st.setBoolean(1, state);
                st.setString(2, triggeredBy);
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
                                    + (triggeredBy == null ? "" : " (" + triggeredBy + ")"));
                    st.executeUpdate();
                }
            }
            return null;
        }));
        LOG.debug("AutoCore device {} relay {} -> {}", deviceId, index, state);
        List<Object[]> pending = pending("SELECT id, state, message FROM autocore.notifications "
                                         + "WHERE device_id = ? AND relay_index = ? AND ts = ? AND sent_at IS NULL",
                exchange, deviceId, index, ts);
        for (Object[] n : pending) {
            ObjectNode o = JSON.createObjectNode();
            o.put("type", "critical_relay");
            o.put("device_id", deviceId);
            o.put("relay_index", index);
            o.put("state", (Boolean) n[1]);
            o.put("triggered_by", triggeredBy);
            o.put("message", (String) n[2]);
            o.put("timestamp", ts.toString());
            send(exchange, settings.notificationsTopic(), deviceId, deviceId + "@" + ts + "#relay" + index, o,
                    "autocore.notifications", (Long) n[0]);
            LOG.info("Notification: {}", n[2]);
        }
    }

    // ---- display and system messages ---------------------------------------------------------------------------

    public void display(@Body byte[] body, @Header(AutocoreTopic.DEVICE_ID) String deviceId, Exchange exchange) throws Exception {
        JsonNode p = parse(body, deviceId);
        Instant ts = timestamp(p);
        log(exchange, deviceId, ts, "display", "INSERT INTO autocore.display_interactions (device_id, ts, payload) "
                                               + "VALUES (?, ?, ?::jsonb) ON CONFLICT DO NOTHING", p.toString(), null);
    }

    public void system(@Body byte[] body, @Header(AutocoreTopic.DEVICE_ID) String deviceId,
                       @Header(AutocoreTopic.SYSTEM_SUBTOPIC) String subtopic, Exchange exchange) throws Exception {
        JsonNode p = parse(body, deviceId);
        Instant ts = timestamp(p);
        log(exchange, deviceId, ts, "system", "INSERT INTO autocore.system_messages (device_id, ts, payload, subtopic) "
                                              + "VALUES (?, ?, ?::jsonb, ?) ON CONFLICT DO NOTHING", p.toString(), subtopic);
    }

    private void log(Exchange exchange, String deviceId, Instant ts, String kind, String sql, String json, String subtopic)
            throws Exception {
        retry.run(exchange.getContext(), "AutoCore " + kind + " message of " + deviceId, () -> inTransaction(c -> {
            seen(c, deviceId, ts, kind);
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, deviceId);
                st.setTimestamp(2, Timestamp.from(ts));
                st.setString(3, json);
                if (subtopic != null) {
                    st.setString(4, subtopic);
                }
                st.executeUpdate();
            }
            return null;
        }));
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

    /** Counts a message that completed (called at the end of the route). */
    public void processed(@Header(AutocoreTopic.KIND) String kind) {
        meters.count("gridwire_messages", "family", "autocore", "kind", String.valueOf(kind));
        processed.incrementAndGet();
        lastMessageTime = Instant.now();
    }

    public long processedCount() {
        return processed.get();
    }

    public Instant lastMessageTime() {
        return lastMessageTime;
    }

    /** Seed 002's GET /health/mqtt-monitor: 200 while connected to the broker, 503 otherwise. */
    public void health(Exchange e) {
        boolean connected = brokerConnected.getAsBoolean();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", connected ? "healthy" : "unhealthy");
        m.put("broker_connected", connected);
        m.put("last_message_time", lastMessageTime == null ? null : lastMessageTime.toString());
        m.put("messages_processed", processed.get());
        m.put("errors_count", errors.getAsLong());
        io.gridwire.api.Http.respond(e, connected ? 200 : 503, m);
    }

    private JsonNode parse(byte[] body, String topicDeviceId) throws InvalidMessageException {
        if (topicDeviceId == null || !JsonFields.ID.matcher(topicDeviceId).matches()) {
            throw new InvalidMessageException("device id in the topic must be 1-64 letters, digits, '.', '_' or '-'");
        }
        JsonNode p = payloads.tree(body);
        JsonNode id = p.get("device_id");
        if (id != null && !id.isNull() && !topicDeviceId.equals(id.asText())) {
            throw new InvalidMessageException("field 'device_id' (" + JsonFields.printable(id.asText())
                                              + ") does not match the topic's '" + topicDeviceId + "'");
        }
        return p;
    }

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return io.gridwire.mqtt.PayloadTimestamps.of(p);
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

    /** Work in one transaction. */
    interface TxWork<T> {
        T run(Connection c) throws Exception;
    }

    private <T> T inTransaction(TxWork<T> work) throws Exception {
        long start = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                meters.time("gridwire_db_write", System.nanoTime() - start, "family", "autocore");
                return result;
            } catch (Exception e) {
                Transactions.rollback(c, e);
                throw e;
            }
        }
    }

    private List<Object[]> pending(String sql, Exchange exchange, Object... params) throws Exception {
        return retry.run(exchange.getContext(), "AutoCore pending Kafka records", () -> {
            List<Object[]> out = new ArrayList<>();
            try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    st.setObject(i + 1, params[i] instanceof Instant in ? Timestamp.from(in) : params[i]);
                }
                try (ResultSet rs = st.executeQuery()) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        Object[] row = new Object[n];
                        for (int i = 0; i < n; i++) {
                            row[i] = rs.getObject(i + 1);
                        }
                        out.add(row);
                    }
                }
            }
            return out;
        });
    }

    /** A Kafka record, acknowledged by the broker, then its row marked sent. */
    private void send(Exchange exchange, String topic, String key, String messageId, ObjectNode value, String table, long id)
            throws Exception {
        retry.run(exchange.getContext(), "Kafka " + topic, () -> {
            kafka.send(topic, key, messageId, value.toString());
            return null;
        });
        retry.run(exchange.getContext(), "AutoCore mark sent", () -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement st = c.prepareStatement("UPDATE " + table + " SET sent_at = now() WHERE id = ?")) {
                st.setLong(1, id);
                st.executeUpdate();
            }
            return null;
        });
    }
}
