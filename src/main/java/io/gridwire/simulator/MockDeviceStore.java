package io.gridwire.simulator;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

/** mock_devices in PostgreSQL: definitions, switches and the cumulative energy of every mock device. */
public class MockDeviceStore {

    private final DataSource dataSource;

    public MockDeviceStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public List<MockDevice> loadAll() throws SQLException {
        List<MockDevice> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT id, name, type, location, base_power, base_voltage, enabled, "
                                                       + "online, energy_kwh, real_device_id, created_at, updated_at, version "
                                                       + "FROM mock_devices ORDER BY id");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                MockDevice d = new MockDevice(rs.getString(1));
                d.name = rs.getString(2);
                d.type = rs.getString(3);
                d.location = rs.getString(4);
                d.basePowerKw = rs.getDouble(5);
                d.baseVoltage = rs.getDouble(6);
                d.enabled = rs.getBoolean(7);
                d.online = rs.getBoolean(8);
                d.energyKwh = rs.getDouble(9);
                d.realDeviceId = rs.getString(10);
                d.createdAt = rs.getTimestamp(11).toInstant();
                d.updatedAt = rs.getTimestamp(12).toInstant();
                d.version = rs.getLong(13);
                out.add(d);
            }
        }
        return out;
    }

    /** Inserts a new device; false if the id (or the real device it mirrors) is taken. */
    public boolean insert(Connection c, MockDevice d) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO mock_devices (id, name, type, location, base_power, base_voltage, enabled, online, energy_kwh, "
                + "real_device_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
            bindDefinition(st, d);
            st.setTimestamp(11, Timestamp.from(d.createdAt));
            st.setTimestamp(12, Timestamp.from(d.updatedAt));
            return st.executeUpdate() == 1;
        }
    }

    public boolean insert(MockDevice d) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return insert(c, d);
        }
    }

    /**
     * Writes a device's definition and switches; its energy only when higher than the stored one (energy never goes
     * back, also when an instance that does not run the rounds writes its older copy).
     */
    public void update(Connection c, MockDevice d) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(
                "UPDATE mock_devices SET id = ?, name = ?, type = ?, location = ?, base_power = ?, base_voltage = ?, "
                + "enabled = ?, online = ?, energy_kwh = GREATEST(energy_kwh, ?), real_device_id = ?, updated_at = ? WHERE id = ?")) {
            bindDefinition(st, d);
            st.setTimestamp(11, Timestamp.from(d.updatedAt));
            st.setString(12, d.id);
            st.executeUpdate();
        }
    }

    public void update(MockDevice d) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            update(c, d);
        }
    }

    public boolean delete(Connection c, String id) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("DELETE FROM mock_devices WHERE id = ?")) {
            st.setString(1, id);
            return st.executeUpdate() == 1;
        }
    }

    public boolean delete(String id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return delete(c, id);
        }
    }

    /**
     * What the leader compares between rounds to follow changes made through other instances: whether the simulation
     * runs (null before any instance stored it) and the fleet's version (device count and the highest definition
     * version: any insert, update of the definition or delete changes it).
     */
    public record Shared(Boolean running, String fleetVersion) {
    }

    /**
     * The simulation's shared state as stored now.
     *
     * @throws SQLException PostgreSQL unavailable
     */
    public Shared shared() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT (SELECT running FROM simulation_state), count(*), max(version) "
                                                       + "FROM mock_devices");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            Object running = rs.getObject(1);
            return new Shared(running == null ? null : (Boolean) running, rs.getLong(2) + "/" + rs.getLong(3));
        }
    }

    /** Stores whether the simulation runs, for every instance. @throws SQLException PostgreSQL unavailable */
    public void saveRunning(boolean running) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("INSERT INTO simulation_state (running) VALUES (?) ON CONFLICT (singleton) "
                                                       + "DO UPDATE SET running = excluded.running, changed_at = now()")) {
            st.setBoolean(1, running);
            st.executeUpdate();
        }
    }

    /** The energy (kWh) of many devices in one statement (arrays bound as parameters); never lowers a stored value. */
    public void saveEnergy(List<MockDevice> devices, long atMs) throws SQLException {
        if (devices.isEmpty()) {
            return;
        }
        String[] ids = new String[devices.size()];
        Double[] energy = new Double[devices.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = devices.get(i).id;
            energy[i] = devices.get(i).energyKwh;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "UPDATE mock_devices m SET energy_kwh = GREATEST(m.energy_kwh, v.energy), energy_at = ? "
                     + "FROM unnest(?::text[], ?::float8[]) AS v(id, energy) WHERE m.id = v.id")) {
            Array idArray = c.createArrayOf("text", ids);
            Array energyArray = c.createArrayOf("float8", energy);
            st.setTimestamp(1, Timestamp.from(Instant.ofEpochMilli(atMs)));
            st.setArray(2, idArray);
            st.setArray(3, energyArray);
            st.executeUpdate();
        }
    }

    private static void bindDefinition(PreparedStatement st, MockDevice d) throws SQLException {
        st.setString(1, d.id);
        st.setString(2, d.name);
        st.setString(3, d.type);
        st.setString(4, d.location);
        st.setDouble(5, d.basePowerKw);
        st.setDouble(6, d.baseVoltage);
        st.setBoolean(7, d.enabled);
        st.setBoolean(8, d.online);
        st.setDouble(9, d.energyKwh);
        st.setString(10, d.realDeviceId);
    }
}
