package io.gridwire.simulator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Seed 001's default mock devices and their readings: power within ±10 % of the base power, voltage within ±2 %
 * of the base voltage, current = P / V, energy the running integral of power over time (kWh). Randomness comes
 * from a seed, so a run is reproducible. (Persistence and the device REST API belong to the mock-device issue.)
 */
public class MockDevices {

    /** Seed 001's five default devices: id, name, base power in kW, location. */
    public record Device(String id, String name, double basePowerKw, double baseVoltage, String location) {
    }

    public static final List<Device> DEFAULTS = List.of(
            new Device("mock-hvac-001", "HVAC System", 25.0, 240.0, "Building A HVAC"),
            new Device("mock-lighting-001", "LED Lighting", 8.5, 240.0, "Office lighting"),
            new Device("mock-server-001", "Server Rack", 45.0, 240.0, "Data center"),
            new Device("mock-industrial-001", "Production Line", 120.0, 480.0, "Industrial"),
            new Device("mock-kitchen-001", "Kitchen Equipment", 15.0, 240.0, "Cafeteria appliances"));

    private final ObjectMapper mapper = new ObjectMapper();
    private final Random random;
    private final Map<String, double[]> energyAndLast = new LinkedHashMap<>(); // kWh, last epoch ms

    private final String topicTemplate;

    /** topicTemplate: where a device publishes, {deviceId} standing for its id. */
    public MockDevices(long seed, String topicTemplate) {
        this.random = new Random(seed);
        this.topicTemplate = topicTemplate;
    }

    /** One reading per default device: its topic and its seed 001 JSON payload. */
    public synchronized List<Map<String, Object>> nextReadings() throws JsonProcessingException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Device d : DEFAULTS) {
            double power = round(d.basePowerKw() * (1 + (random.nextDouble() * 0.2 - 0.1)), 3);
            double voltage = round(d.baseVoltage() * (1 + (random.nextDouble() * 0.04 - 0.02)), 2);
            double current = round(power * 1000 / voltage, 3);
            double[] state = energyAndLast.computeIfAbsent(d.id(), k -> new double[] {0, now.toEpochMilli()});
            state[0] += power * (now.toEpochMilli() - state[1]) / 3_600_000d;
            state[1] = now.toEpochMilli();
            Map<String, Object> reading = new LinkedHashMap<>();
            reading.put("device_id", d.id());
            reading.put("timestamp", now.toString());
            reading.put("power", power);
            reading.put("voltage", voltage);
            reading.put("current", current);
            reading.put("energy", round(state[0], 6));
            reading.put("status", "online");
            reading.put("enabled", true);
            out.add(Map.of("topic", topicTemplate.replace("{deviceId}", d.id()), "json", mapper.writeValueAsString(reading)));
        }
        return out;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
