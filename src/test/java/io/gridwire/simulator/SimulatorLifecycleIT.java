package io.gridwire.simulator;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Listener;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mock devices across restarts (graceful and SIGKILL) and their simulated failures; real broker and database. */
class SimulatorLifecycleIT {

    private static final Duration SOON = Duration.ofSeconds(30);
    private static final String PREFIX = "t-life-" + UUID.randomUUID().toString().substring(0, 6) + "-";

    @AfterAll
    static void cleanUp() {
        Sinks.removeTestDevices();
    }

    private static double maxEnergy(String id) {
        Object v = Sinks.rows("SELECT max(energy) AS e FROM device_readings WHERE device_id = ?", id).get(0).get("e");
        return v == null ? 0 : (double) v;
    }

    private static long readings(String id) {
        return Sinks.count("SELECT count(*) FROM device_readings WHERE device_id = ?", id);
    }

    @Test
    void devicesAndTheirEnergySurviveRestartsAndKills() throws Exception {
        String id = PREFIX + "persist";
        try (GridwireProcess gridwire = GridwireProcess.simulating("mock-lifecycle", 500, Map.of())) {
            gridwire.start();
            Api api = new Api(gridwire.httpPort());
            assertEquals(201, api.post("/api/v1/devices", "{\"id\":\"" + id + "\",\"name\":\"Persisted\",\"type\":\"industrial\","
                                                          + "\"base_power\":300}").status());
            assertEquals(200, api.post("/api/v1/devices/" + id + "/command", "{\"command\":\"set_power\",\"parameters\":{\"power\":360}}").status());
            await().atMost(SOON).until(() -> readings(id) >= 6);

            // graceful restart: definition, switches and energy are where they were
            gridwire.stop();
            double sent = maxEnergy(id);
            double stored = (double) Sinks.rows("SELECT energy_kwh FROM mock_devices WHERE id = ?", id).get(0).get("energy_kwh");
            assertTrue(stored >= sent - 1e-6, "the stored energy is never behind what was sent (6 decimals): " + stored + " < " + sent);
            gridwire.start();
            api = new Api(gridwire.httpPort());
            var device = api.get("/api/v1/devices/" + id).json();
            assertEquals(360.0, device.get("base_power").asDouble(), "the command's base power survived");
            // the simulation (a round every 500 ms) may already have run a round or two since the start:
            // 360 kW for 0.5 s is 0.05 kWh a round; never less than what was stored
            double energy = device.get("energy").asDouble();
            assertTrue(energy >= stored - 1e-6 && energy <= stored + 0.11,
                    "energy goes on from the stored " + stored + ", got " + energy);
            long before = readings(id);
            await().atMost(SOON).until(() -> readings(id) >= before + 4);
            assertTrue(energyMonotonic(id), "energy goes on from where it was");

            // SIGKILL: energy was stored before each reading went out, so it still never goes back
            gridwire.kill();
            double sentBeforeKill = maxEnergy(id);
            gridwire.start();
            long afterKill = readings(id);
            await().atMost(SOON).until(() -> readings(id) >= afterKill + 4);
            assertTrue(energyMonotonic(id), "energy never decreases across a kill");
            assertTrue(maxEnergy(id) > sentBeforeKill);
        }
    }

    /** Energy in timestamp order never decreases. */
    private static boolean energyMonotonic(String id) {
        return Sinks.count("SELECT count(*) FROM (SELECT energy, lag(energy) OVER (ORDER BY \"timestamp\") AS prev "
                           + "FROM device_readings WHERE device_id = ?) x WHERE energy < prev", id) == 0;
    }

    @Test
    void simulatedFailuresHappenAndRecover() throws Exception {
        String id = PREFIX + "flaky";
        try (GridwireProcess gridwire = GridwireProcess.simulating("mock-failures", 200,
                Map.of("SIMULATOR_FAILURERATE", "0.2", "SIMULATOR_FAILUREDURATIONMS", "600"));
             Listener status = new Listener("energy/devices/" + id + "/status", 1)) {
            gridwire.start();
            Api api = new Api(gridwire.httpPort());
            assertEquals(201, api.post("/api/v1/devices", "{\"id\":\"" + id + "\",\"name\":\"Flaky\",\"type\":\"sensor\"}").status());
            await().atMost(SOON).until(() -> status.received().stream().filter(m -> m.payload().contains("simulated failure"))
                    .count() >= 2 && status.received().stream().anyMatch(m -> m.payload().contains("recovered")));
            assertTrue(status.received().stream().anyMatch(m -> m.payload().contains("\"status\":\"error\"")
                                                                || m.payload().contains("\"status\":\"offline\"")));
            assertTrue(api.get("/api/v1/simulation/status").json().get("simulated_failures").asLong() >= 2);
            await().atMost(SOON).until(() -> readings(id) >= 3);
            assertTrue(energyMonotonic(id), "failures do not make energy go back");
        }
    }
}
