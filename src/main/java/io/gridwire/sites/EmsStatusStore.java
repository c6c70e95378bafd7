package io.gridwire.sites;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.sink.Transactions;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sink stage 1 of the {@code sites-ingest} route (bean {@code emsStatusStore}): each message's device resolved, seed
 * 003's status changes stored in PostgreSQL with their DEVICE_STATUS_CHANGE event in the outbox (ems_status_events), in
 * one transaction, so a redelivery sends a pending event but never a second change.
 */
public class EmsStatusStore {

    private static final Logger LOG = LoggerFactory.getLogger(EmsStatusStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final EmsDevices devices;

    /** @param devices resolves a serial number and site to a registered device */
    public EmsStatusStore(DataSource dataSource, EmsDevices devices) {
        this.dataSource = dataSource;
        this.devices = devices;
    }

    /**
     * Resolves each message's device (an unknown serial or a device of another site makes that message a dead letter,
     * the others go on) and stores the batch's status messages, in order, in one transaction: a newer status updates
     * ems_devices, a change adds its DEVICE_STATUS_CHANGE event to ems_status_events (the outbox). Each status message
     * then carries its event if that is not sent yet (a redelivery sends a pending event, never a second change).
     *
     * @param batch    the batch as {@link EmsParser} read it
     * @param exchange the stage's exchange, where refused messages are recorded ({@link SinkPipeline#reject})
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries or halves the batch)
     */
    public void store(List<EmsMessage> batch, Exchange exchange) throws Exception {
        boolean statuses = false;
        for (int i = 0; i < batch.size(); i++) {
            EmsMessage m = batch.get(i);
            m.pendingEvent(null, null);
            try {
                m.device(devices.resolve(m.serialNumber(), m.siteId()));
                statuses |= m.kind() == EmsMessage.Kind.STATUS;
            } catch (InvalidMessageException e) {
                m.device(null);
                SinkPipeline.reject(exchange, i, e);
            }
        }
        if (!statuses) {
            return;
        }
        Transactions.run(dataSource, c -> {
            for (EmsMessage m : batch) {
                if (m.kind() == EmsMessage.Kind.STATUS && m.device() != null) {
                    storeStatus(c, m.device(), m.status(), m.reason(), m.timestamp());
                }
            }
            // keyed by status too: two changes with one timestamp (ONLINE then OFFLINE) are two events
            try (PreparedStatement st = c.prepareStatement("SELECT id, payload FROM ems_status_events WHERE serial_number = ? "
                                                           + "AND ts = ? AND new_status = ? AND sent_at IS NULL")) {
                for (EmsMessage m : batch) {
                    if (m.kind() == EmsMessage.Kind.STATUS && m.device() != null) {
                        st.setString(1, m.serialNumber());
                        st.setTimestamp(2, Timestamp.from(m.timestamp()));
                        st.setString(3, m.status());
                        try (ResultSet rs = st.executeQuery()) {
                            if (rs.next()) {
                                m.pendingEvent(rs.getLong(1), rs.getString(2));
                            }
                        }
                    }
                }
            }
        });
    }

    private void storeStatus(Connection c, EmsDevices.Device d, String status, String reason, Instant ts) throws SQLException {
        String previous;
        try (PreparedStatement st = c.prepareStatement("SELECT status, status_at FROM ems_devices WHERE serial_number = ? FOR UPDATE")) {
            st.setString(1, d.serialNumber());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                previous = rs.getString(1);
                Timestamp at = rs.getTimestamp(2);
                // OFFLINE after another status always applies: a last will carries the time the device connected,
                // older than what it sent since, and the broker publishes it when the device is gone
                boolean goneOffline = status.equals("OFFLINE") && "ONLINE".equals(previous);
                if (at != null && ts.isBefore(at.toInstant()) && !goneOffline) {
                    return; // stale: the stored status is newer (equal timestamps: the later arrival wins)
                }
            }
        }
        try (PreparedStatement st = c.prepareStatement(
                "UPDATE ems_devices SET status = ?, status_at = greatest(status_at, ?) WHERE serial_number = ?")) {
            st.setString(1, status);
            st.setTimestamp(2, Timestamp.from(ts));
            st.setString(3, d.serialNumber());
            st.executeUpdate();
        }
        if (status.equals(previous)) {
            return; // unchanged: no event
        }
        ObjectNode event = JSON.createObjectNode();
        event.put("deviceId", d.deviceId());
        event.put("serialNumber", d.serialNumber());
        event.put("siteId", d.siteId());
        event.put("previousStatus", previous);
        event.put("newStatus", status);
        event.put("timestamp", ts.toString());
        event.put("eventType", "DEVICE_STATUS_CHANGE");
        event.put("reason", reason);
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO ems_status_events (serial_number, ts, previous_status, new_status, reason, payload) "
                + "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
            st.setString(1, d.serialNumber());
            st.setTimestamp(2, Timestamp.from(ts));
            st.setString(3, previous);
            st.setString(4, status);
            st.setString(5, reason);
            st.setString(6, event.toString());
            st.executeUpdate();
        }
        LOG.info("EMS device {} status {} -> {}", d.serialNumber(), previous, status);
    }
}
