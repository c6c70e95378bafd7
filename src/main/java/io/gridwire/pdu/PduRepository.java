package io.gridwire.pdu;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.message.Text;
import io.gridwire.sink.Rows;
import io.gridwire.sink.Transactions;

/**
 * Seed 004's PDUs and sockets in PostgreSQL (schema pdu) for the REST API: every change in one checked transaction
 * (no two sockets on one broker with the same full topic), after which the live subscriptions follow it
 * ({@link SocketSubscriptions#refresh}); and the rows as the API shows them (passwords masked).
 */
final class PduRepository {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final SocketSubscriptions subscriptions;

    PduRepository(DataSource dataSource, SocketSubscriptions subscriptions) {
        this.dataSource = dataSource;
        this.subscriptions = subscriptions;
    }

    /** The PDU with its sockets. @throws ApiException 404 for an unknown id */
    Map<String, Object> pdu(long id) throws SQLException {
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

    /** The socket with its full topic, broker, masked credentials and device. @throws ApiException 404 for an unknown id */
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

    /** The socket a device is assigned to. @throws ApiException 404 if it has none */
    Map<String, Object> socketOfDevice(String deviceId) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT id FROM pdu.sockets WHERE device_id = ?", deviceId);
        if (rows.isEmpty()) {
            throw ApiException.notFound("device '" + Text.printable(String.valueOf(deviceId)) + "' is not assigned to a socket");
        }
        return socket((Long) rows.get(0).get("id"));
    }

    /** Applies the MQTT fields present in the body to a socket (in one checked transaction). */
    void changeMqtt(long id, Map<String, Object> b) throws Exception {
        String suffix = b.containsKey("mqtt_topic_suffix") ? SocketConfig.topicPart("mqtt_topic_suffix", b.get("mqtt_topic_suffix")) : null;
        String host = b.containsKey("mqtt_broker_host") ? SocketConfig.host(b.get("mqtt_broker_host")) : null;
        Integer port = b.containsKey("mqtt_broker_port") ? SocketConfig.port(b.get("mqtt_broker_port")) : null;
        Stored stored = stored(id);
        String creds = b.containsKey("mqtt_credentials")
                ? JSON.writeValueAsString(SocketConfig.credentials(b.get("mqtt_credentials"), stored.credentials())) : null;
        String config = b.containsKey("mqtt_config")
                ? JSON.writeValueAsString(SocketConfig.mqttConfig(b.get("mqtt_config"), stored.config())) : null;
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

    /** A socket's stored MQTT settings, parsed (both empty for an unknown socket). */
    private record Stored(Map<String, Object> credentials, Map<String, Object> config) {
    }

    private Stored stored(long id) throws SQLException {
        List<Map<String, Object>> rows = query("SELECT mqtt_credentials::text AS c, mqtt_config::text AS g FROM pdu.sockets WHERE id = ?", id);
        return rows.isEmpty() ? new Stored(Map.of(), Map.of())
                : new Stored(parse((String) rows.get(0).get("c")), parse((String) rows.get(0).get("g")));
    }

    private static Map<String, Object> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (Exception e) {
            return Map.of();
        }
    }

    interface Tx<T> {
        T run(Connection c) throws Exception;
    }

    /** One transaction; refused if two sockets on one broker end up with the same full topic; then the subscriptions follow. */
    <T> T write(Tx<T> work) throws Exception {
        T result = Transactions.call(dataSource, c -> {
            // one writer at a time, so the conflict check sees every other change
            update(c, "SELECT pg_advisory_xact_lock(4004)");
            T answer = work.run(c);
            List<Map<String, Object>> clash = query(c,
                    "SELECT s.mqtt_broker_host || ':' || s.mqtt_broker_port AS broker, p.mqtt_base_topic || '/' || s.mqtt_topic_suffix "
                    + "AS topic, string_agg(s.id::text, ', ' ORDER BY s.id) AS sockets FROM pdu.sockets s "
                    + "JOIN pdu.power_distribution_units p ON p.id = s.pdu_id GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1");
            if (!clash.isEmpty()) {
                Map<String, Object> x = clash.get(0);
                throw ApiException.conflict("topic '" + x.get("topic") + "' on broker " + x.get("broker")
                                            + " would be used by more than one socket (" + x.get("sockets") + ")");
            }
            return answer;
        });
        subscriptions.refresh();
        return result;
    }

    static int update(Connection c, String sql, Object... params) throws SQLException {
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

    List<Map<String, Object>> query(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return query(c, sql, params);
        }
    }

    static List<Map<String, Object>> query(Connection c, String sql, Object... params) throws SQLException {
        return Rows.of(c, sql, params);
    }

    /**
     * A numeric path parameter (a PDU or socket id).
     *
     * @param text the path parameter as sent
     * @throws ApiException 404 if it is not a number
     */
    static long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw ApiException.notFound("unknown id '" + Text.printable(String.valueOf(text)) + "'");
        }
    }
}
