package io.gridwire.energy;

import java.time.Instant;

/** One validated seed 001 reading of a device (energy/devices/{id}/data). status and enabled may be null. */
public record Reading(String deviceId, Instant timestamp, double power, double voltage, double current, double energy,
        String status, Boolean enabled) {
}
