package io.gridwire.pdu;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Seed 004's /mqtt/devices REST API (bean {@code mqttDeviceApi}): which device is on which socket, assigning a device
 * (moving it off another socket), changing its socket's MQTT settings, unassigning it.
 *
 * <p>Formats as in seed 004. Each method takes its path parameters as sent ({@code @Header}; an id
 * that is no number is 404) and the raw request body ({@code @Body}, parsed by {@link io.gridwire.api.Http#object}: 400
 * when missing or not a JSON object, 413 over 64 KiB), and returns the {@link Reply} the REST route configuration
 * writes; refusals are thrown as {@link ApiException}.
 */
public class MqttDeviceApi {

    private final PduRepository repo;

    MqttDeviceApi(PduRepository repo) {
        this.repo = repo;
    }

    /** GET /mqtt/devices: 200 with every assigned device, its socket and MQTT settings, by device id. */
    public Reply listMqttDevices() throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : repo.query("SELECT id FROM pdu.sockets WHERE device_id IS NOT NULL ORDER BY device_id")) {
            out.add(deviceView(repo.socket((Long) r.get("id"))));
        }
        return Reply.ok(out);
    }

    /** GET /mqtt/devices/{deviceId}: 200 with its socket and MQTT settings. @throws ApiException 404 if unassigned */
    public Reply getMqttDevice(@Header("deviceId") String deviceId) throws SQLException {
        return Reply.ok(deviceView(repo.socketOfDevice(deviceId)));
    }

    /**
     * POST /mqtt/devices {device_id, socket_id, MQTT settings...}: assigns the device to the socket (moving it off
     * another one), optionally changing the socket's MQTT settings; 201 with the assignment.
     *
     * @throws ApiException 400 for an invalid body, 404 for an unknown socket, 409 if the socket has another device
     */
    public Reply assignDevice(@Body String body) throws Exception {
        Map<String, Object> b = Http.object(body);
        Set<String> allowed = new java.util.HashSet<>(SocketApi.MQTT_FIELDS);
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
            repo.changeMqtt(sid, mqtt);
        }
        return Reply.created(deviceView(repo.socket(sid)));
    }

    /**
     * PUT /mqtt/devices/{deviceId}: changes the MQTT settings of the device's socket, or moves it to another socket
     * (socket_id); 200 with the assignment.
     *
     * @throws ApiException 400 for an invalid body, 404 if unassigned, 409 if the target socket has another device
     */
    public Reply updateMqttDevice(@Header("deviceId") String deviceId, @Body String body) throws Exception {
        long sid = (Long) repo.socketOfDevice(deviceId).get("id");
        Map<String, Object> b = Http.object(body);
        Set<String> allowed = new java.util.HashSet<>(SocketApi.MQTT_FIELDS);
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
            repo.changeMqtt(sid, mqtt);
        }
        return Reply.ok(deviceView(repo.socket(sid)));
    }

    /** DELETE /mqtt/devices/{deviceId}: 204. @throws ApiException 404 if unassigned */
    public Reply unassignDevice(@Header("deviceId") String deviceId) throws Exception {
        long sid = (Long) repo.socketOfDevice(deviceId).get("id");
        repo.write(c -> PduRepository.update(c, "UPDATE pdu.sockets SET device_id = NULL, updated_at = now() WHERE id = ?", sid));
        return Reply.noContent();
    }

    private void assign(String deviceId, long socketId) throws Exception {
        Map<String, Object> target = repo.socket(socketId);
        if (target.get("device_id") != null && !deviceId.equals(target.get("device_id"))) {
            throw ApiException.conflict("socket " + socketId + " already has device " + target.get("device_id"));
        }
        repo.write(c -> {
            PduRepository.update(c, "UPDATE pdu.sockets SET device_id = NULL, updated_at = now() WHERE device_id = ? AND id <> ?", deviceId, socketId);
            return PduRepository.update(c, "UPDATE pdu.sockets SET device_id = ?, updated_at = now() WHERE id = ?", deviceId, socketId);
        });
    }

    private static Map<String, Object> deviceView(Map<String, Object> s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device_id", s.get("device_id"));
        m.put("socket_id", s.get("id"));
        m.put("pdu_id", s.get("pdu_id"));
        m.put("socket_number", s.get("socket_number"));
        m.putAll(SocketApi.mqttConfigView(s));
        m.remove("device_id");
        m.put("device_id", s.get("device_id"));
        return m;
    }
}
