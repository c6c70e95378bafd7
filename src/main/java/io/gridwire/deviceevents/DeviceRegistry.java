package io.gridwire.deviceevents;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.sink.Transactions;
import io.gridwire.api.ApiException;
import io.gridwire.api.JsonFields;

/**
 * Seed 000's registry of real devices (table devices). Every change is written together with its device event
 * (device_event_outbox) in one transaction, so an event exists exactly when the change committed; the outbox
 * publishes it afterwards.
 */
public class DeviceRegistry {

    private static final Set<String> FIELDS = Set.of("id", "name", "type", "location", "status", "base_power", "base_voltage");
    private static final String COLUMNS = "id, name, type, location, status, base_power, base_voltage, created_at, updated_at";

    private final DataSource dataSource;
    private final String topicTemplate;
    private final String source;
    private final ObjectMapper mapper = new ObjectMapper();

    /** topicTemplate: where events go, {deviceId} and {eventType} standing for the device id and event type. */
    public DeviceRegistry(DataSource dataSource, String topicTemplate, String source) {
        this.dataSource = dataSource;
        this.topicTemplate = topicTemplate;
        this.source = source;
    }

    public List<Map<String, Object>> list() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + " FROM devices ORDER BY created_at, id");
             ResultSet rs = st.executeQuery()) {
            List<Map<String, Object>> out = new ArrayList<>();
            while (rs.next()) {
                out.add(view(rs));
            }
            return out;
        }
    }

    public Map<String, Object> get(String id) throws SQLException {
        UUID uuid = uuid(id);
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT " + COLUMNS + " FROM devices WHERE id = ?")) {
            st.setObject(1, uuid);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw notFound(id);
                }
                return view(rs);
            }
        }
    }

    public Map<String, Object> create(Map<String, Object> body) throws SQLException, JsonProcessingException {
        JsonFields f = new JsonFields(body, FIELDS);
        String idText = f.text("id", 36, false);
        UUID id = idText == null ? UUID.randomUUID() : parseUuid(idText, "field 'id' must be a UUID");
        return Transactions.call(dataSource, c -> {
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO devices (id, name, type, location, status, base_power, base_voltage, created_at, updated_at) "
                    + "VALUES (?,?,?,?,?,?,?, clock_timestamp(), clock_timestamp()) ON CONFLICT (id) DO NOTHING "
                    + "RETURNING " + COLUMNS)) {
                st.setObject(1, id);
                st.setString(2, f.text("name", 200, true));
                st.setString(3, f.text("type", 32, true).toLowerCase(java.util.Locale.ROOT));
                st.setString(4, f.text("location", 200, false));
                st.setString(5, orElse(f.text("status", 32, false), "offline"));
                setNullableDouble(st, 6, f.number("base_power", 0, 100_000, false));
                setNullableDouble(st, 7, f.number("base_voltage", 1, 100_000, false));
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw ApiException.conflict("device " + id + " already exists");
                    }
                    Map<String, Object> device = view(rs);
                    event(c, "device.created", device, (String) device.get("created_at"));
                    return device;
                }
            }
        });
    }

    /** Changes the fields given; the rest stay. */
    public Map<String, Object> update(String idText, Map<String, Object> body) throws SQLException, JsonProcessingException {
        UUID id = uuid(idText);
        JsonFields f = new JsonFields(body, FIELDS);
        String bodyId = f.text("id", 36, false);
        if (bodyId != null && !bodyId.equalsIgnoreCase(id.toString())) {
            throw ApiException.badRequest("field 'id' (" + Text.printable(bodyId) + ") does not match the path");
        }
        String type = f.text("type", 32, false);
        return Transactions.call(dataSource, c -> {
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE devices SET name = coalesce(?, name), type = coalesce(?, type), location = coalesce(?, location), "
                    + "status = coalesce(?, status), "
                    + "base_power = CASE WHEN ? THEN ? ELSE base_power END, "
                    + "base_voltage = CASE WHEN ? THEN ? ELSE base_voltage END, "
                    + "updated_at = greatest(clock_timestamp(), updated_at + interval '1 microsecond') "
                    + "WHERE id = ? RETURNING " + COLUMNS)) {
                st.setString(1, f.text("name", 200, false));
                st.setString(2, type == null ? null : type.toLowerCase(java.util.Locale.ROOT));
                st.setString(3, f.text("location", 200, false));
                st.setString(4, f.text("status", 32, false));
                st.setBoolean(5, body.containsKey("base_power"));
                setNullableDouble(st, 6, f.number("base_power", 0, 100_000, false));
                st.setBoolean(7, body.containsKey("base_voltage"));
                setNullableDouble(st, 8, f.number("base_voltage", 1, 100_000, false));
                st.setObject(9, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw notFound(idText);
                    }
                    Map<String, Object> device = view(rs);
                    event(c, "device.updated", device, (String) device.get("updated_at"));
                    return device;
                }
            }
        });
    }

    public void delete(String idText) throws SQLException, JsonProcessingException {
        UUID id = uuid(idText);
        Transactions.call(dataSource, c -> {
            try (PreparedStatement st = c.prepareStatement("DELETE FROM devices WHERE id = ? RETURNING " + COLUMNS
                                                           + ", greatest(clock_timestamp(), updated_at + interval '1 microsecond')")) {
                st.setObject(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw notFound(idText);
                    }
                    Map<String, Object> device = view(rs);
                    event(c, "device.deleted", device, rs.getTimestamp(10).toInstant().toString());
                    return null;
                }
            }
        });
    }

    /** Seed 000's event, into the outbox in the caller's transaction. */
    private void event(Connection c, String type, Map<String, Object> device, String timestamp)
            throws SQLException, JsonProcessingException {
        String deviceId = (String) device.get("id");
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event_type", type);
        e.put("device_id", deviceId);
        e.put("timestamp", timestamp);
        e.put("device_data", device);
        e.put("metadata", Map.of("source", source));
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO device_event_outbox (device_id, event_type, topic, payload) VALUES (?,?,?,?)")) {
            st.setObject(1, UUID.fromString(deviceId));
            st.setString(2, type);
            st.setString(3, topicTemplate.replace("{deviceId}", deviceId).replace("{eventType}", type));
            st.setString(4, mapper.writeValueAsString(e));
            st.executeUpdate();
        }
    }

    private static Map<String, Object> view(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getObject(1).toString());
        m.put("name", rs.getString(2));
        m.put("type", rs.getString(3));
        m.put("location", rs.getString(4));
        m.put("status", rs.getString(5));
        m.put("base_power", rs.getObject(6));
        m.put("base_voltage", rs.getObject(7));
        m.put("created_at", rs.getTimestamp(8).toInstant().toString());
        m.put("updated_at", rs.getTimestamp(9).toInstant().toString());
        return m;
    }

    /** A path id: anything that is not a UUID cannot name a device, so 404. */
    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (RuntimeException e) {
            throw notFound(id);
        }
    }

    private static UUID parseUuid(String text, String message) {
        try {
            return UUID.fromString(text);
        } catch (RuntimeException e) {
            throw ApiException.badRequest(message);
        }
    }

    private static ApiException notFound(String id) {
        return ApiException.notFound("unknown device '" + Text.printable(String.valueOf(id)) + "'");
    }

    private static void setNullableDouble(PreparedStatement st, int i, Double v) throws SQLException {
        if (v == null) {
            st.setNull(i, Types.DOUBLE);
        } else {
            st.setDouble(i, v);
        }
    }

    private static <T> T orElse(T v, T d) {
        return v != null ? v : d;
    }
}
