package io.gridwire.simulator;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Mock devices that mirror seed 000's registry devices (bean {@code mockDeviceMirrors}, driven by the device events
 * of seed 000): each is written in the caller's transaction and made live in the fleet once that committed.
 */
public class MockDeviceMirrors {

    private final MockDevices fleet;
    private final MockDeviceStore store;
    private final LongSupplier clock;

    /** @param clock epoch ms */
    public MockDeviceMirrors(MockDevices fleet, MockDeviceStore store, LongSupplier clock) {
        this.fleet = fleet;
        this.store = store;
        this.clock = clock;
    }

    /** The mock device id that mirrors a registry device: {@code mock-real-} and the registry id. */
    public static String mirrorId(String realDeviceId) {
        return "mock-real-" + realDeviceId;
    }

    /**
     * Creates or updates the mirror of a registry device, in the caller's transaction; call {@link #installMirror}
     * with the result once it committed. Energy and switches of an existing mirror are kept.
     *
     * @param powerKw base power (kW)
     * @param voltage base voltage (V)
     * @return the mirror's definition, not live yet
     * @throws SQLException PostgreSQL refusing (the caller's transaction rolls back)
     */
    public MockDevice writeMirror(Connection c, String realDeviceId, String name, String type, String location,
                                  double powerKw, double voltage) throws SQLException {
        synchronized (fleet) {
            String id = mirrorId(realDeviceId);
            MockDevice existing = fleet.devices.get(id);
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
    }

    /** Makes a committed mirror definition live; returns true if the device is new. */
    public boolean installMirror(MockDevice def) {
        synchronized (fleet) {
            MockDevice d = fleet.devices.get(def.id);
            if (d != null) {
                d.name = def.name;
                d.type = def.type;
                d.location = def.location;
                d.basePowerKw = def.basePowerKw;
                d.baseVoltage = def.baseVoltage;
                d.updatedAt = def.updatedAt;
                return false;
            }
            fleet.devices.put(def.id, def);
        }
        return true;
    }

    /**
     * Removes a mirror in the caller's transaction; call {@link #uninstallMirror} once committed.
     *
     * @return whether a mirror row was deleted
     * @throws SQLException PostgreSQL refusing (the caller's transaction rolls back)
     */
    public boolean deleteMirror(Connection c, String realDeviceId) throws SQLException {
        return store.delete(c, mirrorId(realDeviceId));
    }

    /** Takes a deleted mirror out of the fleet; returns whether it was there. */
    public boolean uninstallMirror(String realDeviceId) {
        synchronized (fleet) {
            return fleet.devices.remove(mirrorId(realDeviceId)) != null;
        }
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.getAsLong());
    }
}
