package io.gridwire.pdu;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.sink.Transactions;
import org.apache.camel.Exchange;

/**
 * Seed 004's REST API: PDUs and their sockets, each socket's MQTT settings, device assignment (/mqtt/devices) and
 * connection status. Every change is checked (topic parts, no two sockets on one broker with the same full topic)
 * and committed, then the live subscriptions follow it (SocketSubscriptions.refresh). Passwords are never returned.
 */
public class PduApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PDU_FIELDS = Set.of("name", "organisation", "department", "location", "mqtt_base_topic");
    private static final Set<String> SOCKET_FIELDS = Set.of("socket_number", "mqtt_topic_suffix", "mqtt_broker_host",
            "mqtt_broker_port", "mqtt_credentials", "mqtt_config");
    private static final Set<String> MQTT_FIELDS = Set.of("mqtt_topic_suffix", "mqtt_broker_host", "mqtt_broker_port",
            "mqtt_credentials", "mqtt_config");

    private final DataSource dataSource;
    private final SocketSubscriptions subscriptions;

    public PduApi(DataSource dataSource, SocketSubscriptions subscriptions) {
        this.dataSource = dataSource;
        this.subscriptions = subscriptions;
    }

    // ---- PDUs --------------------------------------------------------------------------------------------------

    public void createPdu(Exchange e) throws Exception {
        Map<String, Object> b = Http.body(e);
        JsonFields f = new JsonFields(b, PDU_FIELDS);
        String base = SocketConfig.topicPart("mqtt_base_topic", b.get("mqtt_base_topic"));
        long id = write(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO pdu.power_distribution_units (name, organisation, "
                                                           + "department, location, mqtt_base_topic) VALUES (?,?,?,?,?) RETURNING id")) {
                st.setString(1, f.text("name", 200, true));
                st.setString(2, f.text("organisation", 200, false));
                st.setString(3, f.text("department", 200, false));
                st.setString(4, f.text("location", 200, false));
                st.setString(5, base);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        Http.respond(e, 201, pdu(id));
    }

    public void listPdus(Exchange e) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : query("SELECT id FROM pdu.power_distribution_units ORDER BY id")) {
            out.add(pdu((Long) r.get("id")));
        }
        Http.respond(e, 200, out);
    }

    public void getPdu(Exchange e) throws SQLException {
        Http.respond(e, 200, pdu(id(e, "id")));
    }

    public void updatePdu(Exchange e) throws Exception {
        long id = id(e, "id");
        pdu(id);
        Map<String, Object> b = Http.body(e);
        JsonFields f = new JsonFields(b, PDU_FIELDS);
        String base = b.containsKey("mqtt_base_topic") ? SocketConfig.topicPart("mqtt_base_topic", b.get("mqtt_base_topic")) : null;
        write(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE pdu.power_distribution_units SET name = coalesce(?, name), "
                                                           + "organisation = coalesce(?, organisation), department = coalesce(?, department), "
                                                           + "location = coalesce(?, location), mqtt_base_topic = coalesce(?, mqtt_base_topic), "
                                                           + "updated_at = now() WHERE id = ?")) {
                st.setString(1, f.text("name", 200, false));
                st.setString(2, f.text("organisation", 200, false));
                st.setString(3, f.text("department", 200, false));
                st.setString(4, f.text("location", 200, false));
                st.setString(5, base);
                st.setLong(6, id);
                st.executeUpdate();
            }
            return null;
        });
        Http.respond(e, 200, pdu(id));
    }

    public void deletePdu(Exchange e) throws Exception {
        long id = id(e, "id");
        pdu(id);
        if (!query("SELECT id FROM pdu.sockets WHERE pdu_id = ?", id).isEmpty()) {
            throw ApiException.conflict("PDU " + id + " still has sockets; delete them first");
        }
        write(c -> update(c, "DELETE FROM pdu.power_distribution_units WHERE id = ?", id));
        Http.respond(e, 204, null);
    }

    private Map<String, Object> pdu(long id) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT id, name, organisation, department, location, mqtt_base_topic "
                                               + "FROM pdu.power_distribution_units WHERE id = ?", id);
        if (rows.isEmpty()) {
            throw ApiException.notFound("unknown PDU " + id);
        }
        Map<String, Object> p = rows.get(0);
        List<Map<String, Object>> sockets = new ArrayList<>();
        for (Map<String, Object> s : query("SELECT id FROM pdu.sockets WHERE pdu_id = ? ORDER BY socket_number", id)) {
            sockets.add(socket((Long) s.get("id")));
        }
        p.put("sockets", sockets);
        return p;
    }

    // ---- sockets -----------------------------------------------------------------------------------------------

    public void createSocket(Exchange e) throws Exception {
        long pduId = id(e, "id");
        pdu(pduId);
        Map<String, Object> b = Http.body(e);
        new JsonFields(b, SOCKET_FIELDS);
        Object number = b.get("socket_number");
        if (!(number instanceof Integer n) || n < 0) {
            throw ApiException.badRequest("field 'socket_number' is required (a whole number >= 0)");
        }
        String suffix = SocketConfig.topicPart("mqtt_topic_suffix", b.get("mqtt_topic_suffix"));
        String host = SocketConfig.host(b.get("mqtt_broker_host"));
        int port = b.get("mqtt_broker_port") == null ? 1883 : SocketConfig.port(b.get("mqtt_broker_port"));
        Map<String, Object> creds = SocketConfig.credentials(b.get("mqtt_credentials"), null);
        Map<String, Object> config = SocketConfig.mqttConfig(b.get("mqtt_config"));
        long id = write(c -> {
            if (!query(c, "SELECT 1 FROM pdu.sockets WHERE pdu_id = ? AND socket_number = ?", pduId, number).isEmpty()) {
                throw ApiException.conflict("PDU " + pduId + " already has socket number " + number);
            }
            try (PreparedStatement st = c.prepareStatement("INSERT INTO pdu.sockets (pdu_id, socket_number, mqtt_topic_suffix, "
                                                           + "mqtt_broker_host, mqtt_broker_port, mqtt_credentials, mqtt_config) "
                                                           + "VALUES (?,?,?,?,?,?::jsonb,?::jsonb) RETURNING id")) {
                st.setLong(1, pduId);
                st.setInt(2, (Integer) number);
                st.setString(3, suffix);
                st.setString(4, host);
                st.setInt(5, port);
                st.setString(6, JSON.writeValueAsString(creds));
                st.setString(7, JSON.writeValueAsString(config));
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        Http.respond(e, 201, socket(id));
    }

    public void getSocket(Exchange e) throws SQLException {
        Http.respond(e, 200, socket(id(e, "id")));
    }

    public void deleteSocket(Exchange e) throws Exception {
        long id = id(e, "id");
        socket(id);
        write(c -> update(c, "DELETE FROM pdu.sockets WHERE id = ?", id));
        Http.respond(e, 204, null);
    }

    public void getMqttConfig(Exchange e) throws SQLException {
        Http.respond(e, 200, mqttConfigView(socket(id(e, "id"))));
    }

    public void putMqttConfig(Exchange e) throws Exception {
        long id = id(e, "id");
        socket(id);
        Map<String, Object> b = Http.body(e);
        new JsonFields(b, MQTT_FIELDS);
        changeMqtt(id, b);
        Http.respond(e, 200, mqttConfigView(socket(id)));
    }

    public void mqttStatus(Exchange e) throws SQLException {
        Map<String, Object> s = socket(id(e, "id"));
        Http.respond(e, 200, subscriptions.status((Long) s.get("id"), (String) s.get("mqtt_topic"),
                s.get("mqtt_broker_host") + ":" + s.get("mqtt_broker_port"), (String) s.get("device_id")));
    }

    /** Applies the MQTT fields present in the body to a socket (in one checked transaction). */
    private void changeMqtt(long id, Map<String, Object> b) throws Exception {
        String suffix = b.containsKey("mqtt_topic_suffix") ? SocketConfig.topicPart("mqtt_topic_suffix", b.get("mqtt_topic_suffix")) : null;
        String host = b.containsKey("mqtt_broker_host") ? SocketConfig.host(b.get("mqtt_broker_host")) : null;
        Integer port = b.containsKey("mqtt_broker_port") ? SocketConfig.port(b.get("mqtt_broker_port")) : null;
        Map<String, Object> stored = storedCredentials(id);
        String creds = b.containsKey("mqtt_credentials")
                ? JSON.writeValueAsString(SocketConfig.credentials(b.get("mqtt_credentials"), stored)) : null;
        String config = b.containsKey("mqtt_config") ? JSON.writeValueAsString(SocketConfig.mqttConfig(b.get("mqtt_config"))) : null;
        write(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE pdu.sockets SET mqtt_topic_suffix = coalesce(?, mqtt_topic_suffix), "
                                                           + "mqtt_broker_host = coalesce(?, mqtt_broker_host), "
                                                           + "mqtt_broker_port = coalesce(?, mqtt_broker_port), "
                                                           + "mqtt_credentials = coalesce(?::jsonb, mqtt_credentials), "
                                                           + "mqtt_config = coalesce(?::jsonb, mqtt_config), updated_at = now() WHERE id = ?")) {
                st.setString(1, suffix);
                st.setString(2, host);
                st.setObject(3, port);
                st.setString(4, creds);
                st.setString(5, config);
                st.setLong(6, id);
                st.executeUpdate();
            }
            return null;
        });
    }

    // ---- /mqtt/devices -----------------------------------------------------------------------------------------

    public void listMqttDevices(Exchange e) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : query("SELECT id FROM pdu.sockets WHERE device_id IS NOT NULL ORDER BY device_id")) {
            out.add(deviceView(socket((Long) r.get("id"))));
        }
        Http.respond(e, 200, out);
    }

    public void getMqttDevice(Exchange e) throws SQLException {
        Http.respond(e, 200, deviceView(socketOfDevice(Http.path(e, "deviceId"))));
    }

    /** Assigns a device to a socket (moving it off another one), optionally changing the socket's MQTT settings. */
    public void assignDevice(Exchange e) throws Exception {
        Map<String, Object> b = Http.body(e);
        Set<String> allowed = new java.util.HashSet<>(MQTT_FIELDS);
        allowed.add("device_id");
        allowed.add("socket_id");
        JsonFields f = new JsonFields(b, allowed);
        String deviceId = f.id("device_id", true);
        Object socketId = b.get("socket_id");
        if (!(socketId instanceof Number n) || n.longValue() < 1) {
            throw ApiException.badRequest("field 'socket_id' is required (the socket's id)");
        }
        long sid = ((Number) socketId).longValue();
        assign(deviceId, sid);
        Map<String, Object> mqtt = new LinkedHashMap<>(b);
        mqtt.remove("device_id");
        mqtt.remove("socket_id");
        if (!mqtt.isEmpty()) {
            changeMqtt(sid, mqtt);
        }
        Http.respond(e, 201, deviceView(socket(sid)));
    }

    /** Changes the MQTT settings of the device's socket, or moves it to another socket (socket_id). */
    public void updateMqttDevice(Exchange e) throws Exception {
        String deviceId = Http.path(e, "deviceId");
        long sid = (Long) socketOfDevice(deviceId).get("id");
        Map<String, Object> b = Http.body(e);
        Set<String> allowed = new java.util.HashSet<>(MQTT_FIELDS);
        allowed.add("socket_id");
        new JsonFields(b, allowed);
        if (b.get("socket_id") != null) {
            if (!(b.get("socket_id") instanceof Number n) || n.longValue() < 1) {
                throw ApiException.badRequest("field 'socket_id' must be a socket id");
            }
            sid = ((Number) b.get("socket_id")).longValue();
            assign(deviceId, sid);
        }
        Map<String, Object> mqtt = new LinkedHashMap<>(b);
        mqtt.remove("socket_id");
        if (!mqtt.isEmpty()) {
            changeMqtt(sid, mqtt);
        }
        Http.respond(e, 200, deviceView(socket(sid)));
    }

    public void unassignDevice(Exchange e) throws Exception {
        String deviceId = Http.path(e, "deviceId");
        long sid = (Long) socketOfDevice(deviceId).get("id");
        write(c -> update(c, "UPDATE pdu.sockets SET device_id = NULL, updated_at = now() WHERE id = ?", sid));
        Http.respond(e, 204, null);
    }

    private void assign(String deviceId, long socketId) throws Exception {
        Map<String, Object> target = socket(socketId);
        if (target.get("device_id") != null && !deviceId.equals(target.get("device_id"))) {
            throw ApiException.conflict("socket " + socketId + " already has device " + target.get("device_id"));
        }
        write(c -> {
            update(c, "UPDATE pdu.sockets SET device_id = NULL, updated_at = now() WHERE device_id = ? AND id <> ?", deviceId, socketId);
            return update(c, "UPDATE pdu.sockets SET device_id = ?, updated_at = now() WHERE id = ?", deviceId, socketId);
        });
    }

    private Map<String, Object> socketOfDevice(String deviceId) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT id FROM pdu.sockets WHERE device_id = ?", deviceId);
        if (rows.isEmpty()) {
            throw ApiException.notFound("device '" + Text.printable(String.valueOf(deviceId)) + "' is not assigned to a socket");
        }
        return socket((Long) rows.get(0).get("id"));
    }

    // ---- views -------------------------------------------------------------------------------------------------

    Map<String, Object> socket(long id) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT s.id, s.pdu_id, s.socket_number, s.mqtt_topic_suffix, "
                                               + "p.mqtt_base_topic || '/' || s.mqtt_topic_suffix AS mqtt_topic, s.mqtt_broker_host, "
                                               + "s.mqtt_broker_port, s.mqtt_credentials::text AS creds, s.mqtt_config::text AS config, "
                                               + "s.device_id FROM pdu.sockets s JOIN pdu.power_distribution_units p ON p.id = s.pdu_id "
                                               + "WHERE s.id = ?", id);
        if (rows.isEmpty()) {
            throw ApiException.notFound("unknown socket " + id);
        }
        Map<String, Object> s = rows.get(0);
        s.put("mqtt_credentials", SocketConfig.masked(parse((String) s.remove("creds"))));
        s.put("mqtt_config", parse((String) s.remove("config")));
        return s;
    }

    private static Map<String, Object> mqttConfigView(Map<String, Object> s) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : List.of("id", "mqtt_topic", "mqtt_topic_suffix", "mqtt_broker_host", "mqtt_broker_port",
                "mqtt_credentials", "mqtt_config", "device_id")) {
            m.put(k.equals("id") ? "socket_id" : k, s.get(k));
        }
        return m;
    }

    private static Map<String, Object> deviceView(Map<String, Object> s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device_id", s.get("device_id"));
        m.put("socket_id", s.get("id"));
        m.put("pdu_id", s.get("pdu_id"));
        m.put("socket_number", s.get("socket_number"));
        m.putAll(mqttConfigView(s));
        m.remove("device_id");
        m.put("device_id", s.get("device_id"));
        return m;
    }

    private Map<String, Object> storedCredentials(long id) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT mqtt_credentials::text AS c FROM pdu.sockets WHERE id = ?", id);
        return rows.isEmpty() ? null : parse((String) rows.get(0).get("c"));
    }

    private static Map<String, Object> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (Exception e) {
            return Map.of();
        }
    }

    // ---- SQL ---------------------------------------------------------------------------------------------------

    interface Tx<T> {
        T run(Connection c) throws Exception;
    }

    /** One transaction; refused if two sockets on one broker end up with the same full topic; then the subscriptions follow. */
    private <T> T write(Tx<T> work) throws Exception {
        T result;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // one writer at a time, so the conflict check sees every other change
                update(c, "SELECT pg_advisory_xact_lock(4004)");
                result = work.run(c);
                List<Map<String, Object>> clash = query(c,
                        "SELECT s.mqtt_broker_host || ':' || s.mqtt_broker_port AS broker, p.mqtt_base_topic || '/' || s.mqtt_topic_suffix "
                        + "AS topic, string_agg(s.id::text, ', ' ORDER BY s.id) AS sockets FROM pdu.sockets s "
                        + "JOIN pdu.power_distribution_units p ON p.id = s.pdu_id GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1");
                if (!clash.isEmpty()) {
                    Map<String, Object> x = clash.get(0);
                    throw ApiException.conflict("topic '" + x.get("topic") + "' on broker " + x.get("broker")
                                                + " would be used by more than one socket (" + x.get("sockets") + ")");
                }
                c.commit();
            } catch (Exception e) {
                Transactions.rollback(c, e);
                throw e;
            }
        }
        subscriptions.refresh();
        return result;
    }

    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setObject(i + 1, params[i]);
            }
            if (sql.startsWith("SELECT")) {
                st.executeQuery().close();
                return 0;
            }
            return st.executeUpdate();
        }
    }

    private List<Map<String, Object>> query(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return query(c, sql, params);
        }
    }

    private static List<Map<String, Object>> query(Connection c, String sql, Object... params) throws SQLException {
        return io.gridwire.sink.Rows.of(c, sql, params);
    }

    private static long id(Exchange e, String name) {
        try {
            return Long.parseLong(Http.path(e, name));
        } catch (NumberFormatException ex) {
            throw ApiException.notFound("unknown id '" + Text.printable(String.valueOf(Http.path(e, name))) + "'");
        }
    }
}
