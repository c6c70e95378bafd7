package io.gridwire.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reading model over simulated time (no clock waits): ranges, P = V × I, energy as the integral of power. */
class MockDeviceTest {

    private static final long START = 1_700_000_000_000L;

    private static MockDevice hvac() {
        MockDevice d = new MockDevice("mock-hvac-001");
        d.basePowerKw = 25.0;
        d.baseVoltage = 240.0;
        d.enabled = true;
        d.online = true;
        return d;
    }

    /** A simulated hour of readings every 5 s. */
    private static List<Map<String, Object>> hour(MockDevice d, Random random) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (long t = START; t <= START + 3_600_000; t += 5_000) {
            out.add(d.read(t, random));
        }
        return out;
    }

    @Test
    void readingsStayInRangeAndEnergyIsTheIntegralOfPower() {
        List<Map<String, Object>> readings = hour(hvac(), new Random(42));
        assertEquals(721, readings.size());
        double previousEnergy = -1;
        double integral = 0;
        double previousPower = Double.NaN;
        for (Map<String, Object> r : readings) {
            double p = (double) r.get("power");
            double v = (double) r.get("voltage");
            double i = (double) r.get("current");
            double e = (double) r.get("energy");
            assertTrue(p >= 22.5 && p <= 27.5, "power within ±10 % of 25 kW: " + p);
            assertTrue(v >= 235.2 && v <= 244.8, "voltage within ±2 % of 240 V: " + v);
            assertEquals(p * 1000 / v, i, 0.001, "current = P / V");
            assertTrue(e >= previousEnergy, "energy never decreases: " + e + " after " + previousEnergy);
            if (!Double.isNaN(previousPower)) {
                integral += (previousPower + p) / 2 * 5.0 / 3600;
            }
            assertEquals(integral, e, 1e-5, "energy is the trapezoid integral of power");
            previousEnergy = e;
            previousPower = p;
        }
        double kwh = (double) readings.get(readings.size() - 1).get("energy");
        assertTrue(kwh > 24.0 && kwh < 26.0, "an hour near 25 kW is near 25 kWh: " + kwh);
    }

    @Test
    void sameSeedSameReadings() {
        assertEquals(hour(hvac(), new Random(7)), hour(hvac(), new Random(7)));
    }

    @Test
    void timeWhileNotProducingAddsNoEnergy() {
        MockDevice d = hvac();
        Random random = new Random(1);
        d.read(START, random);
        double e1 = (double) d.read(START + 60_000, random).get("energy");
        d.pause(); // turned off, offline or failed for an hour
        double e2 = (double) d.read(START + 3_660_000, random).get("energy");
        assertEquals(e1, e2, 1e-9, "the pause is not counted");
        double e3 = (double) d.read(START + 3_720_000, random).get("energy");
        assertTrue(e3 > e2 && e3 - e2 < 27.5 / 60 + 1e-9, "the next minute is counted again: " + (e3 - e2));
    }

    @Test
    void statusFollowsSwitchesAndFailures() {
        MockDevice d = hvac();
        assertEquals("online", d.status());
        assertTrue(d.producing());
        d.enabled = false;
        assertEquals("online", d.status());
        assertTrue(!d.producing(), "a device turned off sends nothing");
        d.enabled = true;
        d.failure = MockDevice.ERROR;
        assertEquals("error", d.status());
        d.failure = MockDevice.OFFLINE;
        assertEquals("offline", d.status());
        d.failure = null;
        d.online = false;
        assertEquals("offline", d.status());
        assertTrue(!d.producing());
    }
}
