package io.gridwire.simulator;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.api.JsonFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed 001 mock device service: every device's state in memory, its definition and energy in PostgreSQL
 * (MockDeviceStore), its messages to the broker through a Publisher. One tick produces a reading for every
 * enabled, online device (the timer route publishes them in one batch), simulates failures at the configured
 * rate and recovers them. Randomness comes from a seed, so a run is reproducible.
 */
public class MockDevices {

    private static final Logger LOG = LoggerFactory.getLogger(MockDevices.class);
    private static final Set<String> FIELDS = Set.of("id", "name", "type", "location", "base_power", "base_voltage",
            "enabled", "online");
    private static final Set<String> COMMAND_FIELDS = Set.of("command", "parameters");
    public static final List<String> COMMANDS = List.of("turn_on", "turn_off", "set_online", "set_offline", "set_power",
            "trigger_failure", "recover");

    /** Settings of the simulation. */
    public record Settings(long seed, String dataTopic, String statusTopic, long intervalMs, double failureRate,
                           long failureDurationMs, boolean running) {
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final MockDeviceStore store;
    private final Publisher publisher;
    private final Settings settings;
    private final Random random;
    private final LongSupplier clock;
    private final TreeMap<String, MockDevice> devices = new TreeMap<>();

    private volatile boolean running;
    private volatile long startedAtMs;
    private volatile long lastTickMs;
    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong readings = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile long lastPersistWarningMs;

    public MockDevices(MockDeviceStore store, Publisher publisher, Settings settings, LongSupplier clock) {
        this.store = store;
        this.publisher = publisher;
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.clock = clock;
        this.running = settings.running();
    }

    /** Loads every device from the database; energy goes on from the stored value. */
    public synchronized int load() throws SQLException {
        devices.clear();
        for (MockDevice d : store.loadAll()) {
            devices.put(d.id, d);
        }
        if (running) {
            startedAtMs = clock.getAsLong();
        }
        return devices.size();
    }

    public synchronized int size() {
        return devices.size();
    }

    // ---- simulation --------------------------------------------------------------------------------------------

    /** One round: readings of every producing device, failures started and ended; empty while stopped. */
    public List<Publication> tick() throws JsonProcessingException {
        if (!running) {
            return List.of();
        }
        long now = clock.getAsLong();
        List<Publication> out = new ArrayList<>();
        List<MockDevice> produced = new ArrayList<>();
        synchronized (this) {
            for (MockDevice d : devices.values()) {
                if (d.failure != null && now >= d.failureUntilMs) {
                    d.failure = null;
                    d.pause();
                    out.add(statusOf(d, now, "recovered from simulated failure"));
                }
                if (!d.producing()) {
                    continue;
                }
                if (settings.failureRate() > 0 && random.nextDouble() < settings.failureRate()) {
                    startFailure(d, random.nextBoolean() ? MockDevice.OFFLINE : MockDevice.ERROR, settings.failureDurationMs(), now);
                    out.add(statusOf(d, now, "simulated failure (" + d.failure + ")"));
                    continue;
                }
                out.add(dataOf(d, now));
                produced.add(d);
            }
        }
        // energy first, then the readings: a restart never goes back behind an energy figure already sent
        persistEnergy(produced, now);
        lastTickMs = now;
        ticks.incrementAndGet();
        readings.addAndGet(produced.size());
        return out;
    }

    private void persistEnergy(List<MockDevice> produced, long now) {
        try {
            store.saveEnergy(produced, now);
        } catch (SQLException e) {
            if (now - lastPersistWarningMs > 60_000) {
                lastPersistWarningMs = now;
                LOG.warn("Cannot store mock device energy ({}); readings still go out, energy is stored again once "
                         + "PostgreSQL answers", e.getMessage());
            }
        }
    }

    private void startFailure(MockDevice d, String kind, long durationMs, long now) {
        d.failure = kind;
        d.failureUntilMs = now + durationMs;
        d.pause();
        failures.incrementAndGet();
    }

    private Publication dataOf(MockDevice d, long now) throws JsonProcessingException {
        return new Publication(topic(settings.dataTopic(), d.id), mapper.writeValueAsString(d.read(now, random)));
    }

    private Publication statusOf(MockDevice d, long now, String reason) throws JsonProcessingException {
        return new Publication(topic(settings.statusTopic(), d.id), mapper.writeValueAsString(d.statusMessage(now, reason)));
    }

    private static String topic(String template, String id) {
        return template.replace("{deviceId}", id);
    }

    // ---- REST and command operations ---------------------------------------------------------------------------

    public synchronized List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        devices.values().forEach(d -> out.add(d.view()));
        return out;
    }

    public synchronized Map<String, Object> get(String id) {
        return find(id).view();
    }

    private MockDevice find(String id) {
        MockDevice d = id == null ? null : devices.get(id);
        if (d == null) {
            throw ApiException.notFound("unknown mock device '" + Text.printable(String.valueOf(id)) + "'");
        }
        return d;
    }

    /** Creates a device from a JSON body: name and type required; id, base values and switches optional. */
    public Map<String, Object> create(Map<String, Object> body) throws SQLException, JsonProcessingException {
        JsonFields f = new JsonFields(body, FIELDS);
        String type = type(f);
        String id = f.id("id", false);
        if (id == null) {
            id = "mock-" + type + "-" + UUID.randomUUID().toString().substring(0, 8);
        }
        if (id.startsWith("mock-real-")) {
            throw ApiException.badRequest("field 'id': ids starting with 'mock-real-' belong to registry devices");
        }
        MockDevice d = new MockDevice(id);
        d.name = f.text("name", 200, true);
        d.type = type;
        d.location = f.text("location", 200, false);
        DeviceTypes.Base base = DeviceTypes.TABLE.get(type);
        d.basePowerKw = orElse(f.number("base_power", 0, 100_000, false), base.powerKw());
        d.baseVoltage = orElse(f.number("base_voltage", 1, 100_000, false), base.voltage());
        d.enabled = orElse(f.bool("enabled"), true);
        d.online = orElse(f.bool("online"), true);
        d.createdAt = d.updatedAt = now();
        Publication status;
        synchronized (this) {
            if (devices.containsKey(id) || !store.insert(d)) {
                throw ApiException.conflict("mock device '" + id + "' already exists");
            }
            devices.put(id, d);
            status = statusOf(d, clock.getAsLong(), "created");
        }
        LOG.info("Created mock device {} ({}, {} kW)", id, d.type, d.basePowerKw);
        publisher.publish(List.of(status));
        return d.view();
    }

    /** Changes a device's definition or switches; fields not in the body stay as they are. */
    public Map<String, Object> update(String id, Map<String, Object> body) throws SQLException, JsonProcessingException {
        JsonFields f = new JsonFields(body, FIELDS);
        String bodyId = f.id("id", false);
        if (bodyId != null && !bodyId.equals(id)) {
            throw ApiException.badRequest("field 'id' (" + bodyId + ") does not match the path (" + id + ")");
        }
        String type = f.has("type") ? type(f) : null;
        String name = f.text("name", 200, false);
        String location = f.text("location", 200, false);
        Double power = f.number("base_power", 0, 100_000, false);
        Double voltage = f.number("base_voltage", 1, 100_000, false);
        Boolean enabled = f.bool("enabled");
        Boolean online = f.bool("online");
        Publication status = null;
        MockDevice d;
        synchronized (this) {
            d = find(id);
            String before = d.status() + d.enabled;
            if (type != null) {
                d.type = type;
            }
            d.name = orElse(name, d.name);
            d.location = orElse(location, d.location);
            d.basePowerKw = orElse(power, d.basePowerKw);
            d.baseVoltage = orElse(voltage, d.baseVoltage);
            switches(d, enabled, online);
            d.updatedAt = now();
            store.update(d);
            if (!before.equals(d.status() + d.enabled)) {
                status = statusOf(d, clock.getAsLong(), "updated");
            }
        }
        if (status != null) {
            publisher.publish(List.of(status));
        }
        return d.view();
    }

    public void delete(String id) throws SQLException, JsonProcessingException {
        Publication status;
        synchronized (this) {
            MockDevice d = find(id);
            store.delete(id);
            devices.remove(id);
            d.online = false;
            status = statusOf(d, clock.getAsLong(), "deleted");
        }
        LOG.info("Deleted mock device {}", id);
        publisher.publish(List.of(status));
    }

    /** The device's latest reading (null before its first one). */
    public synchronized Map<String, Object> readings(String id) {
        MockDevice d = find(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device_id", id);
        m.put("status", d.status());
        m.put("enabled", d.enabled);
        m.put("reading", d.lastReading);
        return m;
    }

    /**
     * Applies a command ({"command": "...", "parameters": {...}}) from MQTT or REST:
     * turn_on, turn_off, set_online, set_offline, set_power {power}, trigger_failure {mode, duration_seconds},
     * recover. Returns the device as it is afterwards.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> command(String id, Map<String, Object> body) throws SQLException, JsonProcessingException {
        JsonFields f = new JsonFields(body, COMMAND_FIELDS);
        String command = f.text("command", 64, true);
        Object rawParams = body.get("parameters");
        if (rawParams != null && !(rawParams instanceof Map)) {
            throw ApiException.badRequest("field 'parameters' must be an object");
        }
        Map<String, Object> params = rawParams == null ? Map.of() : (Map<String, Object>) rawParams;
        if (!COMMANDS.contains(command)) {
            throw ApiException.badRequest("unknown command '" + Text.printable(command) + "'; expected one of "
                                          + String.join(", ", COMMANDS));
        }
        Publication status;
        MockDevice d;
        synchronized (this) {
            d = find(id);
            long now = clock.getAsLong();
            switch (command) {
                case "turn_on" -> switches(d, true, null);
                case "turn_off" -> switches(d, false, null);
                case "set_online" -> switches(d, null, true);
                case "set_offline" -> switches(d, null, false);
                case "set_power" -> d.basePowerKw = new JsonFields(params, Set.of("power")).number("power", 0, 100_000, true);
                case "trigger_failure" -> {
                    JsonFields p = new JsonFields(params, Set.of("mode", "duration_seconds"));
                    String mode = orElse(p.text("mode", 16, false), MockDevice.ERROR);
                    if (!mode.equals(MockDevice.ERROR) && !mode.equals(MockDevice.OFFLINE)) {
                        throw ApiException.badRequest("field 'mode' must be 'error' or 'offline'");
                    }
                    Double seconds = p.number("duration_seconds", 1, 86_400, false);
                    startFailure(d, mode, seconds == null ? settings.failureDurationMs() : (long) (seconds * 1000), now);
                }
                case "recover" -> {
                    d.failure = null;
                    d.pause();
                }
                default -> throw new IllegalStateException(command);
            }
            d.updatedAt = now();
            store.update(d);
            status = statusOf(d, now, "command " + command);
        }
        LOG.info("Mock device {}: {} -> status {}, enabled {}", id, command, d.status(), d.enabled);
        publisher.publish(List.of(status));
        return get(id);
    }

    /** Sends one reading of the device now, outside the timer; the device must be enabled and online. */
    public Map<String, Object> simulate(String id) throws JsonProcessingException {
        Publication data;
        Map<String, Object> reading;
        long now = clock.getAsLong();
        MockDevice d;
        synchronized (this) {
            d = find(id);
            if (!d.producing()) {
                throw ApiException.conflict("mock device '" + id + "' is " + (d.enabled ? d.status() : "turned off")
                                            + " and sends no readings");
            }
            data = dataOf(d, now);
            reading = d.lastReading;
        }
        persistEnergy(List.of(d), now);
        if (publisher.publish(List.of(data)) != 1) {
            throw new ApiException(503, "the MQTT broker did not accept the reading");
        }
        readings.incrementAndGet();
        return reading;
    }

    public Map<String, Object> start() {
        if (!running) {
            running = true;
            startedAtMs = clock.getAsLong();
            LOG.info("Simulation started");
        }
        return status();
    }

    public Map<String, Object> stop() {
        if (running) {
            running = false;
            synchronized (this) {
                devices.values().forEach(MockDevice::pause);
            }
            LOG.info("Simulation stopped");
        }
        return status();
    }

    public boolean running() {
        return running;
    }

    public synchronized Map<String, Object> status() {
        int producing = 0;
        int failed = 0;
        for (MockDevice d : devices.values()) {
            producing += d.producing() ? 1 : 0;
            failed += d.failure != null ? 1 : 0;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", running);
        m.put("interval_ms", settings.intervalMs());
        m.put("devices", devices.size());
        m.put("producing_devices", producing);
        m.put("failed_devices", failed);
        m.put("failure_rate", settings.failureRate());
        m.put("ticks", ticks.get());
        m.put("readings_generated", readings.get());
        m.put("simulated_failures", failures.get());
        m.put("started_at", running && startedAtMs > 0 ? Instant.ofEpochMilli(startedAtMs).toString() : null);
        m.put("last_tick_at", lastTickMs > 0 ? Instant.ofEpochMilli(lastTickMs).toString() : null);
        return m;
    }

    // ---- registry mirrors (seed 000) ---------------------------------------------------------------------------

    /** The mock device id that mirrors a registry device. */
    public static String mirrorId(String realDeviceId) {
        return "mock-real-" + realDeviceId;
    }

    /**
     * Creates or updates the mirror of a registry device, in the caller's transaction; call {@link #installMirror}
     * with the result once it committed. Energy and switches of an existing mirror are kept.
     */
    public synchronized MockDevice writeMirror(Connection c, String realDeviceId, String name, String type, String location,
                                               double powerKw, double voltage) throws SQLException {
        String id = mirrorId(realDeviceId);
        MockDevice existing = devices.get(id);
        MockDevice d = new MockDevice(id);
        d.name = name;
        d.type = type;
        d.location = location;
        d.basePowerKw = powerKw;
        d.baseVoltage = voltage;
        d.realDeviceId = realDeviceId;
        d.enabled = existing == null || existing.enabled;
        d.online = existing == null || existing.online;
        d.energyKwh = existing == null ? 0 : existing.energyKwh;
        d.createdAt = existing == null ? now() : existing.createdAt;
        d.updatedAt = now();
        if (existing == null && store.insert(c, d)) {
            return d;
        }
        store.update(c, d);
        return d;
    }

    /** Makes a committed mirror definition live; returns true if the device is new. */
    public boolean installMirror(MockDevice def) {
        synchronized (this) {
            MockDevice d = devices.get(def.id);
            if (d != null) {
                d.name = def.name;
                d.type = def.type;
                d.location = def.location;
                d.basePowerKw = def.basePowerKw;
                d.baseVoltage = def.baseVoltage;
                d.updatedAt = def.updatedAt;
                return false;
            }
            devices.put(def.id, def);
        }
        return true;
    }

    /** Removes a mirror in the caller's transaction; call {@link #uninstallMirror} once committed. */
    public boolean deleteMirror(Connection c, String realDeviceId) throws SQLException {
        return store.delete(c, mirrorId(realDeviceId));
    }

    public synchronized boolean uninstallMirror(String realDeviceId) {
        return devices.remove(mirrorId(realDeviceId)) != null;
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static String type(JsonFields f) {
        String type = DeviceTypes.normalise(f.text("type", 32, true));
        if (!DeviceTypes.known(type)) {
            throw ApiException.badRequest("field 'type' must be one of " + String.join(", ", DeviceTypes.TABLE.keySet()));
        }
        return type;
    }

    private static void switches(MockDevice d, Boolean enabled, Boolean online) {
        if (enabled != null && enabled != d.enabled) {
            d.enabled = enabled;
            d.pause();
        }
        if (online != null && online != d.online) {
            d.online = online;
            d.pause();
        }
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.getAsLong());
    }

    private static <T> T orElse(T value, T dflt) {
        return value != null ? value : dflt;
    }
}
