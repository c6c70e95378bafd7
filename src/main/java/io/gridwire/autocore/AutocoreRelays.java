package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay rows inside the PostgreSQL stage's transaction: every switch in the history, the current state unless a newer
 * one is stored, and a notification (published by the Kafka stage) when a relay marked critical changes state.
 */
final class AutocoreRelays {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreRelays.class);

    void apply(Connection c, AutocoreMessage m) throws SQLException {
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
}
