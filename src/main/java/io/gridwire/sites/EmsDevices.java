package io.gridwire.sites;

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
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EMS device metadata (ems_devices) by serial number, cached for cacheMillis. An unknown serial is auto-registered
 * (deviceType UNKNOWN, the topic's site) or refused (the message becomes a dead letter), as configured.
 */
public class EmsDevices {

    private static final Logger LOG = LoggerFactory.getLogger(EmsDevices.class);

    /** One device's metadata. */
    public record Device(long deviceId, String serialNumber, long siteId, String deviceType) {
    }

    private record Cached(Device device, long atMs) {
    }

    private final DataSource dataSource;
    private final boolean autoRegister;
    private final long cacheMillis;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public EmsDevices(DataSource dataSource, boolean autoRegister, long cacheMillis) {
        this.dataSource = dataSource;
        this.autoRegister = autoRegister;
        this.cacheMillis = cacheMillis;
    }

    /** The device with this serial, checked against the topic's site. */
    public Device resolve(String serial, long topicSiteId) throws SQLException, InvalidMessageException {
        Cached c = cache.get(serial);
        Device d = c != null && System.currentTimeMillis() - c.atMs() < cacheMillis ? c.device() : null;
        if (d == null) {
            d = load(serial);
            if (d == null) {
                if (!autoRegister) {
                    throw new InvalidMessageException("unknown device serial '" + serial + "' (not in ems_devices; "
                                                      + "sites.unknownDevices=dead-letter)");
                }
                d = register(serial, topicSiteId, "UNKNOWN", "auto");
                LOG.info("EMS device {} auto-registered on site {}", serial, topicSiteId);
            }
            cache.put(serial, new Cached(d, System.currentTimeMillis()));
        }
        if (d.siteId() != topicSiteId) {
            throw new InvalidMessageException("device " + serial + " belongs to site " + d.siteId() + ", not to site " + topicSiteId);
        }
        return d;
    }

    private Device load(String serial) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT device_id, serial_number, site_id, device_type FROM ems_devices "
                                                       + "WHERE serial_number = ?")) {
            st.setString(1, serial);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? new Device(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)) : null;
            }
        }
    }

    private Device register(String serial, long siteId, String type, String by) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "INSERT INTO ems_devices (serial_number, site_id, device_type, registered_by) VALUES (?,?,?,?) "
                     + "ON CONFLICT (serial_number) DO NOTHING")) {
            st.setString(1, serial);
            st.setLong(2, siteId);
            st.setString(3, type);
            st.setString(4, by);
            st.executeUpdate();
        }
        return load(serial);
    }

    // ---- REST: GET|POST /api/v1/ems/devices ----------------------------------------------------------------------

    /**
     * GET /api/v1/ems/devices: every EMS device (seed 003), by device id.
     *
     * @return 200 with [{deviceId, serialNumber, siteId, deviceType, status, statusAt}]
     * @throws SQLException PostgreSQL unavailable
     */
    public Reply list() throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT device_id, serial_number, site_id, device_type, status, status_at "
                                                       + "FROM ems_devices ORDER BY device_id");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("deviceId", rs.getLong(1));
                m.put("serialNumber", rs.getString(2));
                m.put("siteId", rs.getLong(3));
                m.put("deviceType", rs.getString(4));
                m.put("status", rs.getString(5));
                m.put("statusAt", rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant().toString());
                out.add(m);
            }
        }
        return Reply.ok(out);
    }

    /**
     * POST /api/v1/ems/devices: registers a device: {"serialNumber": "INV-001", "siteId": 1, "deviceType":
     * "SOLAR_INVERTER"}.
     *
     * @param body the raw request body
     * @return 201 with {deviceId, serialNumber, siteId, deviceType}
     * @throws ApiException 400/413 for an invalid body, 409 for a serial number that exists
     */
    public Reply create(@Body String body) throws SQLException {
        JsonFields f = new JsonFields(Http.object(body), Set.of("serialNumber", "siteId", "deviceType"));
        String serial = f.id("serialNumber", true);
        Double site = f.number("siteId", 1, Long.MAX_VALUE, true);
        if (site != Math.floor(site)) {
            throw ApiException.badRequest("field 'siteId' must be a whole number");
        }
        String type = f.text("deviceType", 64, true);
        if (!type.matches("[A-Z][A-Z0-9_]{0,63}")) {
            throw ApiException.badRequest("field 'deviceType' must be upper case letters, digits and '_' (e.g. SOLAR_INVERTER)");
        }
        if (load(serial) != null) {
            throw ApiException.conflict("device " + serial + " already exists");
        }
        Device d = register(serial, site.longValue(), type, "api");
        cache.remove(serial);
        return Reply.created(Map.of("deviceId", d.deviceId(), "serialNumber", d.serialNumber(), "siteId", d.siteId(),
                "deviceType", d.deviceType()));
    }
}
