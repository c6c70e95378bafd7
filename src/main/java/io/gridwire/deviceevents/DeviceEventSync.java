package io.gridwire.deviceevents;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.gridwire.sink.Transactions;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;
import io.gridwire.simulator.DeviceTypes;
import io.gridwire.simulator.MockDevice;
import io.gridwire.simulator.MockDeviceMirrors;
import io.gridwire.message.InvalidMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 000's listener: a device event (energy/events/devices/{id}/{event_type}) creates, updates or removes the
 * mock device mock-real-{id}, parsed on the MQTT thread and applied a batch per transaction ({@code mqtt-ingest:}). The newest event applied per device is recorded (device_event_sync, with a
 * tombstone after a delete) in the same transaction as the mock device, so an event that arrives twice or
 * late changes nothing, and an update before its create creates the device.
 */
public class DeviceEventSync implements PayloadParser {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceEventSync.class);
    public static final List<String> EVENT_TYPES = List.of("device.created", "device.updated", "device.deleted");

    private final DataSource dataSource;
    /** The simulator's registry mirrors (another family: looked up when the first event arrives). */
    private final java.util.function.Supplier<MockDeviceMirrors> mirrors;
    private final JsonPayloads payloads;
    private final DeviceTypes.Base unknownTypeBase;

    public DeviceEventSync(DataSource dataSource, java.util.function.Supplier<MockDeviceMirrors> mirrors, JsonPayloads payloads, DeviceTypes.Base unknownTypeBase) {
        this.dataSource = dataSource;
        this.mirrors = mirrors;
        this.payloads = payloads;
        this.unknownTypeBase = unknownTypeBase;
    }

    /**
     * One seed 000 event as the parser read it: the device, the event type and time, and for a create or update the
     * mirror's definition (name, type, location, base power in kW, base voltage in V; the type's defaults filled in).
     */
    public record DeviceEvent(String deviceId, String eventType, Instant at, boolean delete, String name, String type,
                              String location, double powerKw, double voltage) {
    }

    /**
     * The route's {@link PayloadParser} (no I/O): the event payload and the topic levels realDeviceId and eventType.
     *
     * @throws InvalidMessageException naming what is wrong (the dead letter's reason)
     */
    @Override
    @SuppressWarnings("unchecked")
    public DeviceEvent parse(String topic, byte[] payload, Map<String, Object> levels) throws InvalidMessageException {
        Object topicDeviceId = levels.get("realDeviceId");
        Object topicEventType = levels.get("eventType");
        Map<String, Object> event = payloads.object(payload);
        String eventType = text(event, "event_type");
        if (!EVENT_TYPES.contains(eventType)) {
            throw new InvalidMessageException("unknown event_type '" + Text.printable(eventType) + "'; expected one of "
                                              + String.join(", ", EVENT_TYPES));
        }
        if (!eventType.equals(topicEventType)) {
            throw new InvalidMessageException("event_type '" + eventType + "' does not match the topic's '"
                                              + Text.printable(String.valueOf(topicEventType)) + "'");
        }
        String deviceId = text(event, "device_id");
        if (!Text.ID.matcher(deviceId).matches()) {
            throw new InvalidMessageException("field 'device_id' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (!deviceId.equals(topicDeviceId)) {
            throw new InvalidMessageException("device_id '" + deviceId + "' does not match the topic's '"
                                              + Text.printable(String.valueOf(topicDeviceId)) + "'");
        }
        Instant at = io.gridwire.message.PayloadTimestamps.parse(text(event, "timestamp"));
        boolean delete = eventType.equals("device.deleted");
        Object rawData = event.get("device_data");
        if (!delete && !(rawData instanceof Map)) {
            throw new InvalidMessageException("field 'device_data' must be an object for " + eventType);
        }
        if (delete) {
            return new DeviceEvent(deviceId, eventType, at, true, null, null, null, 0, 0);
        }
        Map<String, Object> data = (Map<String, Object>) rawData;
        String name = optionalText(data, "name", 200);
        String type = DeviceTypes.normalise(optionalText(data, "type", 32));
        String location = optionalText(data, "location", 200);
        Double power = optionalNumber(data, "base_power", 0);
        Double voltage = optionalNumber(data, "base_voltage", 1);
        DeviceTypes.Base base = type == null ? null : DeviceTypes.TABLE.get(type);
        if (base == null) {
            LOG.warn("Real device {} has {} type; its mock device gets the default {} kW / {} V", deviceId,
                    type == null ? "no" : "unknown '" + Text.printable(type) + "'", unknownTypeBase.powerKw(),
                    unknownTypeBase.voltage());
            base = unknownTypeBase;
        }
        return new DeviceEvent(deviceId, eventType, at, false, name == null ? "Mock of " + deviceId : name,
                type == null ? "unknown" : type, location, power != null ? power : base.powerKw(),
                voltage != null ? voltage : base.voltage());
    }

    /**
     * The sink stage: applies a batch of events in order in one transaction (each recorded as its device's newest
     * unless one as new or newer was applied before, then the mirror written or deleted), and once committed makes
     * the mirrors live in the simulator.
     *
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries, or halves the batch)
     */
    public void store(List<DeviceEvent> batch) throws SQLException {
        List<Runnable> afterCommit = new ArrayList<>();
        Transactions.run(dataSource, c -> {
            afterCommit.clear();
            for (DeviceEvent e : batch) {
                if (!newest(c, e.deviceId(), e.eventType(), e.at(), e.delete())) {
                    afterCommit.add(() -> LOG.info("Ignored {} for real device {}: an event as new or newer was already applied",
                            e.eventType(), e.deviceId()));
                } else if (e.delete()) {
                    mirrors.get().deleteMirror(c, e.deviceId());
                    afterCommit.add(() -> LOG.info(mirrors.get().uninstallMirror(e.deviceId()) ? "Removed mock device {} for real device: {}"
                            : "No mock device {} to remove for real device: {}", MockDeviceMirrors.mirrorId(e.deviceId()), e.deviceId()));
                } else {
                    MockDevice def = mirrors.get().writeMirror(c, e.deviceId(), e.name(), e.type(), e.location(), e.powerKw(),
                            e.voltage());
                    afterCommit.add(() -> LOG.info(mirrors.get().installMirror(def) ? "Created mock device {} for real device: {}"
                            : "Updated mock device {} for real device: {}", def.id(), e.deviceId()));
                }
            }
        });
        for (Runnable r : afterCommit) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // committed: failing the stage would retry events that are already applied (and then ignored)
                LOG.error("Device event committed, but making its mock device live failed", e);
            }
        }
    }

    /** Records the event as the newest for the device; false if one as new or newer was applied before. */
    private static boolean newest(Connection c, String deviceId, String type, Instant at, boolean deleted) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO device_event_sync (real_device_id, last_event_type, last_event_at, deleted) VALUES (?,?,?,?) "
                + "ON CONFLICT (real_device_id) DO UPDATE SET last_event_type = excluded.last_event_type, "
                + "last_event_at = excluded.last_event_at, deleted = excluded.deleted, updated_at = now() "
                + "WHERE device_event_sync.last_event_at < excluded.last_event_at")) {
            st.setString(1, deviceId);
            st.setString(2, type);
            st.setTimestamp(3, Timestamp.from(at));
            st.setBoolean(4, deleted);
            return st.executeUpdate() == 1;
        }
    }

    private static String text(Map<String, Object> m, String field) throws InvalidMessageException {
        Object v = m.get(field);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new InvalidMessageException("field '" + field + "' is " + (v == null ? "missing" : "not a non-empty string"));
        }
        return s;
    }

    private static String optionalText(Map<String, Object> m, String field, int max) throws InvalidMessageException {
        Object v = m.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new InvalidMessageException("field 'device_data." + field + "' must be a string");
        }
        if (s.length() > max) {
            throw new InvalidMessageException("field 'device_data." + field + "' is longer than " + max + " characters");
        }
        return s.isBlank() ? null : s.strip();
    }

    private static Double optionalNumber(Map<String, Object> m, String field, double min) throws InvalidMessageException {
        Object v = m.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > 100_000) {
            throw new InvalidMessageException("field 'device_data." + field + "' must be a number from " + min + " to 100000");
        }
        return n.doubleValue();
    }
}
