package io.gridwire.pdu;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.api.JsonFields;
import io.gridwire.db.Transactions;
import io.gridwire.mqtt.JsonPayloads;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.telemetry.InvalidMessageException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;

/**
 * Seed 004's data flow: a message on a socket's topic -> the socket (by broker and topic) -> its device -> a
 * device_data_logs row (with the socket) and the device's current state (voltage, current, power, energy,
 * temperature and the whole payload), both in one transaction. A socket without a device is a dead letter.
 */
public class SocketMessages {

    private final DataSource dataSource;
    private final SocketSubscriptions subscriptions;
    private final JsonPayloads payloads;
    private final UntilAvailable retry;

    public SocketMessages(DataSource dataSource, SocketSubscriptions subscriptions, JsonPayloads payloads, UntilAvailable retry) {
        this.dataSource = dataSource;
        this.subscriptions = subscriptions;
        this.payloads = payloads;
        this.retry = retry;
    }

    public void store(@Body byte[] body, @Header(PahoMqtt5Constants.MQTT_TOPIC) String topic, @Header("pduBroker") String broker,
                      Exchange exchange) throws Exception {
        Long socketId = subscriptions.socketFor(broker, topic);
        if (socketId == null) {
            throw new InvalidMessageException("no socket uses topic '" + JsonFields.printable(String.valueOf(topic)) + "' on this broker (any more)");
        }
        try {
            JsonNode p = payloads.tree(body);
            Instant ts = timestamp(p);
            retry.run(exchange.getContext(), "PDU socket " + socketId, () -> {
                try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(false);
                    try {
                        write(c, socketId, p, ts);
                        c.commit();
                    } catch (Exception e) {
                        Transactions.rollback(c, e);
                        throw e;
                    }
                }
                return null;
            });
            subscriptions.received(socketId);
        } catch (InvalidMessageException e) {
            subscriptions.failed(socketId, e.getMessage());
            throw e;
        }
    }

    private static void write(Connection c, long socketId, JsonNode p, Instant ts) throws Exception {
        String deviceId;
        try (PreparedStatement st = c.prepareStatement("SELECT device_id FROM pdu.sockets WHERE id = ?")) {
            st.setLong(1, socketId);
            try (ResultSet rs = st.executeQuery()) {
                deviceId = rs.next() ? rs.getString(1) : null;
            }
        }
        if (deviceId == null) {
            throw new InvalidMessageException("socket " + socketId + " has no device assigned");
        }
        try (PreparedStatement st = c.prepareStatement("INSERT INTO pdu.device_data_logs (device_id, socket_id, data_json, "
                                                       + "\"timestamp\") VALUES (?, ?, ?::jsonb, ?) ON CONFLICT DO NOTHING")) {
            st.setString(1, deviceId);
            st.setLong(2, socketId);
            st.setString(3, p.toString());
            st.setTimestamp(4, Timestamp.from(ts));
            st.executeUpdate();
        }
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO pdu.device_current_state AS s (device_id, socket_id, voltage, current, power, energy, temperature, "
                + "data_json, \"timestamp\") VALUES (?,?,?,?,?,?,?,?::jsonb,?) ON CONFLICT (device_id) DO UPDATE SET "
                + "socket_id = excluded.socket_id, voltage = excluded.voltage, current = excluded.current, power = excluded.power, "
                + "energy = excluded.energy, temperature = excluded.temperature, data_json = excluded.data_json, "
                + "\"timestamp\" = excluded.\"timestamp\", updated_at = now() WHERE s.\"timestamp\" < excluded.\"timestamp\"")) {
            st.setString(1, deviceId);
            st.setLong(2, socketId);
            st.setObject(3, number(p, "voltage"));
            st.setObject(4, number(p, "current"));
            st.setObject(5, number(p, "power"));
            st.setObject(6, number(p, "energy"));
            st.setObject(7, number(p, "temperature"));
            st.setString(8, p.toString());
            st.setTimestamp(9, Timestamp.from(ts));
            st.executeUpdate();
        }
    }

    private static Double number(JsonNode p, String field) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
            throw new InvalidMessageException("field '" + field + "' must be a finite number");
        }
        return n.doubleValue();
    }

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return io.gridwire.mqtt.PayloadTimestamps.of(p);
    }
}
