package io.gridwire.simulator;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.gridwire.api.ApiException;
import io.gridwire.message.Text;

/**
 * The seed 001 mock device fleet (bean {@code mockDevices}): every device's state in memory, by id, loaded from
 * PostgreSQL ({@link MockDeviceStore}). Its monitor is the one lock of the simulator: {@link MockDeviceSimulation},
 * {@link MockDeviceManager} and {@link MockDeviceMirrors} change devices only while holding it.
 */
public class MockDevices {

    private final MockDeviceStore store;
    /** By id; read and changed only while holding this object's monitor. */
    final TreeMap<String, MockDevice> devices = new TreeMap<>();

    /** @param store where the devices' definitions and energy are kept */
    public MockDevices(MockDeviceStore store) {
        this.store = store;
    }

    /**
     * Loads every device from the database; energy goes on from the stored value (kWh), or from this copy's if that is
     * higher (a round whose energy could not be stored: energy never goes back). A device loaded again keeps its
     * simulated failure.
     *
     * @return how many devices were loaded
     * @throws SQLException PostgreSQL unavailable
     */
    public synchronized int load() throws SQLException {
        java.util.Map<String, MockDevice> before = new java.util.HashMap<>(devices);
        devices.clear();
        for (MockDevice d : store.loadAll()) {
            MockDevice mine = before.get(d.id);
            if (mine != null) {
                mine.takeDefinition(d);
                devices.put(d.id, mine);
            } else {
                devices.put(d.id, d);
            }
        }
        return devices.size();
    }

    /**
     * Takes the definitions changed in the database (through another instance) since this fleet last saw them:
     * devices added, removed, or with a higher {@code version}; a kept device keeps its energy (unless the stored one is
     * higher) and its simulated failure.
     *
     * @return how many devices were added, changed or removed
     * @throws SQLException PostgreSQL unavailable
     */
    public synchronized int follow() throws SQLException {
        int changes = 0;
        java.util.Set<String> stored = new java.util.HashSet<>();
        for (MockDevice d : store.loadAll()) {
            stored.add(d.id);
            MockDevice mine = devices.get(d.id);
            if (mine == null) {
                devices.put(d.id, d);
                changes++;
            } else if (d.version > mine.version) {
                mine.takeDefinition(d);
                changes++;
            }
        }
        int before = devices.size();
        devices.keySet().retainAll(stored);
        return changes + before - devices.size();
    }

    /** How many mock devices there are. */
    public synchronized int size() {
        return devices.size();
    }

    /** Every device as the REST API shows it (base_power in kW, base_voltage in V, energy in kWh), by id. */
    public synchronized List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        devices.values().forEach(d -> out.add(d.view()));
        return out;
    }

    /**
     * One device as the REST API shows it.
     *
     * @throws ApiException 404 for an unknown id
     */
    public synchronized Map<String, Object> get(String id) {
        return find(id).view();
    }

    /**
     * The device's latest reading (power kW, voltage V, current A, energy kWh; null before its first one).
     *
     * @throws ApiException 404 for an unknown id
     */
    public synchronized Map<String, Object> readings(String id) {
        MockDevice d = find(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device_id", id);
        m.put("status", d.status());
        m.put("enabled", d.enabled);
        m.put("reading", d.lastReading);
        return m;
    }

    /** The device; the caller holds this object's monitor. @throws ApiException 404 for an unknown id */
    MockDevice find(String id) {
        MockDevice d = id == null ? null : devices.get(id);
        if (d == null) {
            throw ApiException.notFound("unknown mock device '" + Text.printable(String.valueOf(id)) + "'");
        }
        return d;
    }
}
