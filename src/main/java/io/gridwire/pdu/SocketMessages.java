package io.gridwire.pdu;

import io.gridwire.message.Text;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.sink.Transactions;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.message.InvalidMessageException;
import org.apache.camel.Exchange;

/**
 * Seed 004's data flow: a message on a socket's topic -> the socket (by broker and topic) -> its device -> a
 * device_data_logs row (with the socket) and the device's current state (voltage in V, current in A, power in W,
 * energy in kWh, temperature in °C, and the whole payload). Each broker's route parses on the MQTT thread with
 * {@link #parserFor} and writes batches with {@link #store}: one transaction per batch, the current state only moved by
 * a newer reading. A topic no socket uses, or a socket without a device, is a dead letter.
 */
public class SocketMessages {

    /** One parsed socket message: the socket, the payload as JSON text, its timestamp and the seed's numbers. */
    public record SocketMessage(long socketId, String json, Instant timestamp, Double voltage, Double current, Double power,
                                Double energy, Double temperature) {
    }

    private final DataSource dataSource;
    private final SocketSubscriptions subscriptions;
    private final JsonPayloads payloads;

    public SocketMessages(DataSource dataSource, SocketSubscriptions subscriptions, JsonPayloads payloads) {
        this.dataSource = dataSource;
        this.subscriptions = subscriptions;
        this.payloads = payloads;
    }

    /**
     * The {@link PayloadParser} of one broker's route (no I/O: the socket is looked up in SocketSubscriptions' map).
     *
     * @param brokerKey the broker and connection settings the route's client connects with
     */
    public PayloadParser parserFor(String brokerKey) {
        return (topic, payload, levels) -> parse(brokerKey, topic, payload);
    }

    private SocketMessage parse(String broker, String topic, byte[] payload) throws InvalidMessageException {
        Long socketId = subscriptions.socketFor(broker, topic);
        if (socketId == null) {
            throw new InvalidMessageException("no socket uses topic '" + Text.printable(String.valueOf(topic))
                                              + "' on this broker (any more)");
        }
        try {
            JsonNode p = payloads.tree(payload);
            Instant ts = io.gridwire.message.PayloadTimestamps.of(p);
            return new SocketMessage(socketId, p.toString(), ts, number(p, "voltage"), number(p, "current"), number(p, "power"),
                    number(p, "energy"), number(p, "temperature"));
        } catch (InvalidMessageException e) {
            subscriptions.failed(socketId, e.getMessage());
            throw e;
        }
    }

    /**
     * The PDU sink stage: a batch into pdu.device_data_logs (idempotent on device and timestamp) and
     * pdu.device_current_state (only a newer reading replaces it), in one transaction, in order. A socket without a
     * device makes its message a dead letter; the others go on.
     *
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries, or halves the batch)
     */
    public void store(List<SocketMessage> batch, Exchange exchange) throws SQLException {
        List<SocketMessage> stored = new java.util.ArrayList<>(batch.size());
        Transactions.run(dataSource, c -> {
            Map<Long, String> devices = new HashMap<>();
            try (PreparedStatement st = c.prepareStatement("SELECT id, device_id FROM pdu.sockets WHERE id = ANY (?)")) {
                st.setArray(1, c.createArrayOf("bigint", batch.stream().map(SocketMessage::socketId).distinct().toArray()));
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        devices.put(rs.getLong(1), rs.getString(2));
                    }
                }
            }
            try (PreparedStatement log = c.prepareStatement("INSERT INTO pdu.device_data_logs (device_id, socket_id, data_json, "
                                                            + "\"timestamp\") VALUES (?, ?, ?::jsonb, ?) ON CONFLICT (device_id, socket_id, \"timestamp\") "
                                                            + "DO UPDATE SET data_json = excluded.data_json "
                                                            + "WHERE device_data_logs.data_json IS DISTINCT FROM excluded.data_json");
                 PreparedStatement state = c.prepareStatement(
                         "INSERT INTO pdu.device_current_state AS s (device_id, socket_id, voltage, current, power, energy, "
                         + "temperature, data_json, \"timestamp\") VALUES (?,?,?,?,?,?,?,?::jsonb,?) ON CONFLICT (device_id) "
                         + "DO UPDATE SET socket_id = excluded.socket_id, voltage = excluded.voltage, current = excluded.current, "
                         + "power = excluded.power, energy = excluded.energy, temperature = excluded.temperature, "
                         + "data_json = excluded.data_json, \"timestamp\" = excluded.\"timestamp\", updated_at = now() "
                         + "WHERE s.\"timestamp\" <= excluded.\"timestamp\"")) {
                // the current state: the newest reading per device only, and the log: a key once, its later arrival
                // (one multi-row upsert may not touch a row twice; equal timestamps: the later arrival wins)
                Map<String, SocketMessage> newest = new java.util.LinkedHashMap<>();
                Map<java.util.List<Object>, SocketMessage> logs = new java.util.LinkedHashMap<>();
                stored.clear();
                for (int i = 0; i < batch.size(); i++) {
                    SocketMessage m = batch.get(i);
                    String deviceId = devices.get(m.socketId());
                    if (deviceId == null) {
                        String why = "socket " + m.socketId() + " has no device assigned";
                        subscriptions.failed(m.socketId(), why);
                        SinkPipeline.reject(exchange, i, new InvalidMessageException(why));
                        continue;
                    }
                    stored.add(m);
                    logs.put(java.util.List.of(deviceId, m.socketId(), m.timestamp()), m);
                    newest.merge(deviceId, m, (a, b) -> b.timestamp().isBefore(a.timestamp()) ? a : b);
                }
                for (var e : logs.entrySet()) {
                    SocketMessage m = e.getValue();
                    log.setString(1, (String) e.getKey().get(0));
                    log.setLong(2, m.socketId());
                    log.setString(3, m.json());
                    log.setTimestamp(4, Timestamp.from(m.timestamp()));
                    log.addBatch();
                }
                for (var e : newest.entrySet()) {
                    String deviceId = e.getKey();
                    SocketMessage m = e.getValue();
                    Timestamp ts = Timestamp.from(m.timestamp());
                    state.setString(1, deviceId);
                    state.setLong(2, m.socketId());
                    state.setObject(3, m.voltage());
                    state.setObject(4, m.current());
                    state.setObject(5, m.power());
                    state.setObject(6, m.energy());
                    state.setObject(7, m.temperature());
                    state.setString(8, m.json());
                    state.setTimestamp(9, ts);
                    state.addBatch();
                }
                log.executeBatch();
                state.executeBatch();
            }
        });
        for (SocketMessage m : stored) {
            subscriptions.received(m.socketId());
        }
    }

    private static Double number(JsonNode p, String field) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        Double number = JsonPayloads.number(n); // a number, or a number sent as a string
        if (number == null || !Double.isFinite(number)) {
            throw new InvalidMessageException("field '" + field + "' must be a finite number");
        }
        return number;
    }
}
