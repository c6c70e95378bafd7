package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Set;

import io.gridwire.message.InvalidMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AutoCore device rows inside the PostgreSQL stage's transaction: registration, online state from status
 * messages and from any message heard, and the connectivity history of each change.
 */
final class AutocoreDevices {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreDevices.class);

    /** A device's state before this message. */
    private record Device(boolean isNew, boolean online, String ip, Instant statusAt) {
    }

    private final boolean autoRegister;

    /** @param autoRegister autocore.unknownDevices=auto-register: a device's first message of any kind registers it */
    AutocoreDevices(boolean autoRegister) {
        this.autoRegister = autoRegister;
    }

    /** A status message: online state, IP address, firmware and uptime, unless a newer status is stored. */
    void applyStatus(Connection c, AutocoreMessage m) throws SQLException, InvalidMessageException {
        Device before = lockDevice(c, m.deviceId, m.timestamp, true, "status");
        // an offline after an online always applies: a last will carries the time the device connected, older than
        // the online status it sent after connecting, and the broker publishes it when the device is gone
        boolean goneOffline = !m.online && before.online && !before.isNew;
        Instant at = m.timestamp;
        if (before.statusAt != null && m.timestamp.isBefore(before.statusAt)) {
            if (!goneOffline) {
                LOG.debug("AutoCore device {}: status of {} is older than the stored one; kept", m.deviceId, m.timestamp);
                return; // stale: newer state stays (equal timestamps: the later arrival wins)
            }
            at = before.statusAt; // the will's connect time is older: its history row is stamped after the online
        }
        try (PreparedStatement st = c.prepareStatement(
                "UPDATE autocore.devices SET is_online = ?, ip_address = coalesce(?, ip_address), "
                + "firmware_version = coalesce(?, firmware_version), uptime = coalesce(?, uptime), "
                + "status_at = greatest(status_at, ?), last_seen = now() WHERE device_id = ?")) {
            st.setBoolean(1, m.online);
            st.setString(2, m.ipAddress);
            st.setString(3, m.firmware);
            st.setObject(4, m.uptime);
            st.setTimestamp(5, Timestamp.from(m.timestamp));
            st.setString(6, m.deviceId);
            st.executeUpdate();
        }
        boolean ipChanged = m.ipAddress != null && !m.ipAddress.equals(before.ip);
        if (before.isNew || before.online != m.online || ipChanged) {
            connectivity(c, m.deviceId, at, m.online, m.ipAddress != null ? m.ipAddress : before.ip, before,
                    before.isNew ? "registered" : "status");
        }
        LOG.info("AutoCore device {} status updated: {}", m.deviceId, m.online ? "online" : "offline");
    }

    /**
     * {@link #seen} once per device and transaction: {@code seen} holds the devices already locked and marked seen
     * (a status message takes its device out, as it changes the device's state).
     */
    void seenOnce(Connection c, AutocoreMessage m, Set<String> seen, String kind) throws SQLException, InvalidMessageException {
        if (!seen.contains(m.deviceId)) {
            seen(c, m.deviceId, m.timestamp, kind);
            seen.add(m.deviceId);
        }
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
        if (!announce && !autoRegister) {
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
}
