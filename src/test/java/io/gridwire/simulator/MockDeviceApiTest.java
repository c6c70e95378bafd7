package io.gridwire.simulator;

import java.util.List;
import java.util.Map;

import io.gridwire.api.ApiException;
import io.gridwire.api.Reply;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The mock device API over an empty in-memory fleet (no Camel, no database, no broker). */
class MockDeviceApiTest {

    private final MockDevices devices = new MockDevices(null);
    private final MockDeviceSimulation simulation = new MockDeviceSimulation(devices, null, null,
            new MockDeviceSimulation.Settings(1, "energy/devices/{deviceId}/data", "energy/devices/{deviceId}/status",
                    5000, 0, 0, false), () -> 0L);
    private boolean connected;
    private final MockDeviceApi api = new MockDeviceApi(devices, null, simulation, () -> connected);

    @Test
    void listsTheFleet() {
        Reply r = api.list();
        assertEquals(200, r.status());
        assertEquals(List.of(), r.body());
    }

    @Test
    void anUnknownDeviceIs404() {
        assertEquals(404, assertThrows(ApiException.class, () -> api.get("nope")).status());
        assertEquals(404, assertThrows(ApiException.class, () -> api.readings("nope")).status());
    }

    @Test
    void aBodyThatIsNoJsonObjectIs400BeforeTheManagerIsAsked() {
        assertEquals(400, assertThrows(ApiException.class, () -> api.create("42")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.command("mock-1", null)).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.update("mock-1", "")).status());
    }

    @Test
    void healthIs503WithoutTheBrokerAnd200WithIt() {
        Reply down = api.health();
        assertEquals(503, down.status());
        assertEquals("unhealthy", ((Map<?, ?>) down.body()).get("status"));
        assertEquals(0, ((Map<?, ?>) down.body()).get("devices"));
        connected = true;
        Reply up = api.health();
        assertEquals(200, up.status());
        assertEquals(true, ((Map<?, ?>) up.body()).get("mqtt_connected"));
    }
}
