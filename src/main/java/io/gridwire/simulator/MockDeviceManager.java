package io.gridwire.simulator;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.gridwire.api.ApiException;
import io.gridwire.api.JsonFields;
import io.gridwire.message.Text;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 001's MockDeviceManager: creates, changes and deletes mock devices and applies their commands (from REST and
 * from MQTT), in PostgreSQL and in the fleet, and publishes the status message a change causes.
 */
public class MockDeviceManager {

    private static final Logger LOG = LoggerFactory.getLogger(MockDeviceManager.class);
    private static final Set<String> FIELDS = Set.of("id", "name", "type", "location", "base_power", "base_voltage",
            "enabled", "online");
    private static final Set<String> COMMAND_FIELDS = Set.of("command", "parameters");
    /** The commands seed 001 devices take. */
    public static final List<String> COMMANDS = List.of("turn_on", "turn_off", "set_online", "set_offline", "set_power",
            "trigger_failure", "recover");

    private final MockDevices fleet;
    private final MockDeviceStore store;
    private final Publisher publisher;
    private final MockDeviceSimulation simulation;
    private final LongSupplier clock;

    /** @param clock epoch ms */
    public MockDeviceManager(MockDevices fleet, MockDeviceStore store, Publisher publisher, MockDeviceSimulation simulation,
                             LongSupplier clock) {
        this.fleet = fleet;
        this.store = store;
        this.publisher = publisher;
        this.simulation = simulation;
        this.clock = clock;
    }

    /**
     * Creates a device from a JSON body: name and type required; id, base_power (kW), base_voltage (V), enabled and
     * online optional (the type's base values and true by default).
     *
     * @return the device as the REST API shows it
     * @throws ApiException 400 for an invalid body, 409 for an id that exists
     * @throws SQLException PostgreSQL unavailable
     */
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
        synchronized (fleet) {
            if (fleet.devices.containsKey(id) || !store.insert(d)) {
                throw ApiException.conflict("mock device '" + id + "' already exists");
            }
            fleet.devices.put(id, d);
            status = simulation.statusOf(d, clock.getAsLong(), "created");
        }
        LOG.info("Created mock device {} ({}, {} kW)", id, d.type, d.basePowerKw);
        publisher.publish(List.of(status));
        return d.view();
    }

    /**
     * Changes a device's definition or switches; fields not in the body stay as they are.
     *
     * @return the device as the REST API shows it
     * @throws ApiException 400 for an invalid body, 404 for an unknown id
     * @throws SQLException PostgreSQL unavailable
     */
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
        synchronized (fleet) {
            d = fleet.find(id);
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
                status = simulation.statusOf(d, clock.getAsLong(), "updated");
            }
        }
        if (status != null) {
            publisher.publish(List.of(status));
        }
        return d.view();
    }

    /**
     * Deletes a device and publishes its last status (offline, reason "deleted").
     *
     * @throws ApiException 404 for an unknown id
     * @throws SQLException PostgreSQL unavailable
     */
    public void delete(String id) throws SQLException, JsonProcessingException {
        Publication status;
        synchronized (fleet) {
            MockDevice d = fleet.find(id);
            store.delete(id);
            fleet.devices.remove(id);
            d.online = false;
            status = simulation.statusOf(d, clock.getAsLong(), "deleted");
        }
        LOG.info("Deleted mock device {}", id);
        publisher.publish(List.of(status));
    }

    /**
     * Applies a seed 001 command ({"command": "...", "parameters": {...}}) from MQTT or REST:
     * turn_on, turn_off, set_online, set_offline, set_power {power (kW)}, trigger_failure {mode, duration_seconds},
     * recover.
     *
     * @return the device as it is afterwards, as the REST API shows it
     * @throws ApiException 400 for an unknown command or invalid parameters, 404 for an unknown id
     * @throws SQLException PostgreSQL unavailable
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
        if ((command.equals("trigger_failure") || command.equals("recover")) && !simulation.leads()) {
            // a simulated failure lives in the memory of the instance running the rounds
            throw ApiException.conflict("simulated failures run on the leader, instance " + simulation.leaderId()
                                        + ": send " + command + " to it");
        }
        Publication status;
        MockDevice d;
        synchronized (fleet) {
            d = fleet.find(id);
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
                    simulation.startFailure(d, mode, seconds == null ? simulation.failureDurationMs() : (long) (seconds * 1000), now);
                }
                case "recover" -> {
                    d.failure = null;
                    d.pause();
                }
                default -> throw new IllegalStateException(command);
            }
            d.updatedAt = now();
            store.update(d);
            status = simulation.statusOf(d, now, "command " + command);
        }
        LOG.info("Mock device {}: {} -> status {}, enabled {}", id, command, d.status(), d.enabled);
        publisher.publish(List.of(status));
        return fleet.get(id);
    }

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
