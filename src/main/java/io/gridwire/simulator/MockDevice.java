package io.gridwire.simulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * One simulated seed 001 device: its definition, its switches (enabled, online), a simulated failure, and the
 * running energy integral. Readings: power within ±10 % of the base power, voltage within ±2 % of the base
 * voltage, current = P / V, energy += mean power of the interval × its length (trapezoid rule), so energy never
 * decreases. Time while the device is off, offline or failed adds nothing. Not thread-safe: callers hold the MockDevices fleet's lock.
 */
public final class MockDevice {

    public static final String ONLINE = "online";
    public static final String OFFLINE = "offline";
    public static final String ERROR = "error";

    final String id;
    String name;
    String type;
    String location;
    double basePowerKw;
    double baseVoltage;
    boolean enabled;
    boolean online;
    String realDeviceId;
    Instant createdAt;
    Instant updatedAt;
    /** PostgreSQL's number for the stored definition (mock_devices.version): a bigger one is a newer definition. */
    long version;

    double energyKwh;
    /** When the integral was last advanced (epoch ms), 0 while the device is not producing. */
    long integratedAtMs;
    double lastPowerKw;

    /** A simulated failure in progress: OFFLINE or ERROR until failureUntilMs; null when healthy. */
    String failure;
    long failureUntilMs;

    Map<String, Object> lastReading;

    MockDevice(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * Takes the stored copy's definition, switches and version (changed through another instance); this copy's energy
     * stays unless the stored one is higher (energy never goes back), and so does its simulated failure.
     */
    void takeDefinition(MockDevice d) {
        version = d.version;
        energyKwh = Math.max(energyKwh, d.energyKwh);
        name = d.name;
        type = d.type;
        location = d.location;
        basePowerKw = d.basePowerKw;
        baseVoltage = d.baseVoltage;
        realDeviceId = d.realDeviceId;
        updatedAt = d.updatedAt;
        if (enabled != d.enabled || online != d.online) {
            pause();
        }
        enabled = d.enabled;
        online = d.online;
    }

    /** online, offline (switched offline or failed offline) or error (failed with an error). */
    public String status() {
        if (ERROR.equals(failure)) {
            return ERROR;
        }
        return online && failure == null ? ONLINE : OFFLINE;
    }

    /** Whether the device sends readings now. */
    public boolean producing() {
        return enabled && ONLINE.equals(status());
    }

    /** Stops the energy integral: the next reading starts a new interval instead of counting the pause. */
    void pause() {
        integratedAtMs = 0;
    }

    /** The next reading at nowMs, advancing the energy integral; the device must be producing. */
    Map<String, Object> read(long nowMs, Random random) {
        double power = round(basePowerKw * (1 + (random.nextDouble() * 0.2 - 0.1)), 3);
        double voltage = round(baseVoltage * (1 + (random.nextDouble() * 0.04 - 0.02)), 2);
        double current = round(power * 1000 / voltage, 3);
        if (integratedAtMs > 0 && nowMs > integratedAtMs) {
            energyKwh += (lastPowerKw + power) / 2 * (nowMs - integratedAtMs) / 3_600_000d;
        }
        integratedAtMs = Math.max(nowMs, integratedAtMs);
        lastPowerKw = power;
        Map<String, Object> reading = new LinkedHashMap<>();
        reading.put("device_id", id);
        reading.put("timestamp", Instant.ofEpochMilli(nowMs).toString());
        reading.put("power", power);
        reading.put("voltage", voltage);
        reading.put("current", current);
        reading.put("energy", round(energyKwh, 6));
        reading.put("status", status());
        reading.put("enabled", enabled);
        lastReading = reading;
        return reading;
    }

    /** The status message (energy/devices/{id}/status) describing the device now, with why it changed. */
    Map<String, Object> statusMessage(long nowMs, String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device_id", id);
        m.put("timestamp", Instant.ofEpochMilli(nowMs).toString());
        m.put("status", status());
        m.put("enabled", enabled);
        m.put("online", online);
        m.put("reason", reason);
        return m;
    }

    /** The device as the REST API shows it. */
    Map<String, Object> view() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("name", name);
        m.put("type", type);
        m.put("location", location);
        m.put("base_power", basePowerKw);
        m.put("base_voltage", baseVoltage);
        m.put("enabled", enabled);
        m.put("online", online);
        m.put("status", status());
        m.put("failure_until", failure == null ? null : Instant.ofEpochMilli(failureUntilMs).toString());
        m.put("energy", round(energyKwh, 6));
        m.put("real_device_id", realDeviceId);
        m.put("created_at", createdAt == null ? null : createdAt.toString());
        m.put("updated_at", updatedAt == null ? null : updatedAt.toString());
        return m;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
