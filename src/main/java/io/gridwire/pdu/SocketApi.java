package io.gridwire.pdu;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Seed 004's REST API for sockets (bean {@code socketApi}): create under a PDU, get, delete, their MQTT settings
 * (topic suffix, broker, credentials, config) and their subscription's connection status.
 *
 * <p>Formats as in seed 004. Each method takes its path parameters as sent ({@code @Header}; an id
 * that is no number is 404) and the raw request body ({@code @Body}, parsed by {@link io.gridwire.api.Http#object}: 400
 * when missing or not a JSON object, 413 over 64 KiB), and returns the {@link Reply} the REST route configuration
 * writes; refusals are thrown as {@link ApiException}.
 */
public class SocketApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SOCKET_FIELDS = Set.of("socket_number", "mqtt_topic_suffix", "mqtt_broker_host",
            "mqtt_broker_port", "mqtt_credentials", "mqtt_config");
    /** The MQTT settings of a socket a request may change. */
    static final Set<String> MQTT_FIELDS = Set.of("mqtt_topic_suffix", "mqtt_broker_host", "mqtt_broker_port",
            "mqtt_credentials", "mqtt_config");

    private final PduRepository repo;
    private final SocketSubscriptions subscriptions;

    SocketApi(PduRepository repo, SocketSubscriptions subscriptions) {
        this.repo = repo;
        this.subscriptions = subscriptions;
    }

    /**
     * POST /pdus/{id}/sockets {socket_number, mqtt_topic_suffix, mqtt_broker_host, mqtt_broker_port (default 1883),
     * mqtt_credentials, mqtt_config}: responds 201 with the socket; its subscription starts.
     *
     * @throws ApiException 400 for an invalid body, 404 for an unknown PDU, 409 for a taken socket number or topic
     */
    public Reply createSocket(@Header("id") String pduIdText, @Body String body) throws Exception {
        long pduId = PduRepository.id(pduIdText);
        repo.pdu(pduId);
        Map<String, Object> b = Http.object(body);
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
        long id = repo.write(c -> {
            if (!PduRepository.query(c, "SELECT 1 FROM pdu.sockets WHERE pdu_id = ? AND socket_number = ?", pduId, number).isEmpty()) {
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
        return Reply.created(repo.socket(id));
    }

    /** GET /sockets/{id}: 200 with the socket (password masked). @throws ApiException 404 for an unknown id */
    public Reply getSocket(@Header("id") String idText) throws SQLException {
        return Reply.ok(repo.socket(PduRepository.id(idText)));
    }

    /** DELETE /sockets/{id}: 204; its subscription ends. @throws ApiException 404 for an unknown id */
    public Reply deleteSocket(@Header("id") String idText) throws Exception {
        long id = PduRepository.id(idText);
        repo.socket(id);
        repo.write(c -> PduRepository.update(c, "DELETE FROM pdu.sockets WHERE id = ?", id));
        return Reply.noContent();
    }

    /** GET /sockets/{id}/mqtt-config: 200 with its MQTT settings and full topic. @throws ApiException 404 for an unknown id */
    public Reply getMqttConfig(@Header("id") String idText) throws SQLException {
        return Reply.ok(mqttConfigView(repo.socket(PduRepository.id(idText))));
    }

    /**
     * PUT /sockets/{id}/mqtt-config with the settings to change: 200 with the settings as they are now, applied live.
     *
     * @throws ApiException 400 for an invalid body, 404 for an unknown id, 409 if the topic would clash
     */
    public Reply putMqttConfig(@Header("id") String idText, @Body String body) throws Exception {
        long id = PduRepository.id(idText);
        repo.socket(id);
        Map<String, Object> b = Http.object(body);
        new JsonFields(b, MQTT_FIELDS);
        repo.changeMqtt(id, b);
        return Reply.ok(mqttConfigView(repo.socket(id)));
    }

    /**
     * GET /sockets/{id}/mqtt-status: 200 with connected, broker, topic, last message time, message count, last error.
     *
     * @throws ApiException 404 for an unknown id
     */
    public Reply mqttStatus(@Header("id") String idText) throws SQLException {
        Map<String, Object> s = repo.socket(PduRepository.id(idText));
        return Reply.ok(subscriptions.status((Long) s.get("id"), (String) s.get("mqtt_topic"),
                s.get("mqtt_broker_host") + ":" + s.get("mqtt_broker_port"), (String) s.get("device_id")));
    }

    /** A socket's MQTT settings as the API shows them (socket_id first, password masked). */
    static Map<String, Object> mqttConfigView(Map<String, Object> s) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : List.of("id", "mqtt_topic", "mqtt_topic_suffix", "mqtt_broker_host", "mqtt_broker_port",
                "mqtt_credentials", "mqtt_config", "device_id")) {
            m.put(k.equals("id") ? "socket_id" : k, s.get(k));
        }
        return m;
    }
}
