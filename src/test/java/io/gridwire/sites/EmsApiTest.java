package io.gridwire.sites;

import io.gridwire.api.ApiException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The EMS REST methods' refusals before any SQL or MQTT (no Camel, no services: without a data source or sender, a
 * call that got as far would fail with a NullPointerException instead).
 */
class EmsApiTest {

    private final EmsCommands commands = new EmsCommands(null, null, null, "sites/{siteId}/devices/{serialNumber}/commands");

    @Test
    void anInvalidCommandBodyIs400() {
        assertEquals(400, assertThrows(ApiException.class, () -> commands.command("1", "INV-001", null)).status());
        assertEquals(400, assertThrows(ApiException.class, () -> commands.command("1", "INV-001", "{}")).status());
        assertEquals("field 'command' must be letters, digits and '_' (e.g. SET_POWER_LIMIT)", assertThrows(
                ApiException.class, () -> commands.command("1", "INV-001", "{\"command\": \"rm -rf\"}")).getMessage());
        assertEquals("field 'parameters' must be an object", assertThrows(ApiException.class,
                () -> commands.command("1", "INV-001", "{\"command\": \"STOP\", \"parameters\": [1]}")).getMessage());
        assertEquals(400, assertThrows(ApiException.class,
                () -> commands.command("1", "INV-001", "{\"command\": \"STOP\", \"colour\": 1}")).status());
    }

    @Test
    void anInvalidDeviceRegistrationIs400() {
        EmsDevices devices = new EmsDevices(null, false, 1000);
        assertEquals(400, assertThrows(ApiException.class, () -> devices.create("")).status());
        assertEquals("field 'siteId' must be a whole number", assertThrows(ApiException.class, () -> devices.create(
                "{\"serialNumber\": \"INV-001\", \"siteId\": 1.5, \"deviceType\": \"SOLAR_INVERTER\"}")).getMessage());
        assertEquals(400, assertThrows(ApiException.class, () -> devices.create(
                "{\"serialNumber\": \"INV-001\", \"siteId\": 1, \"deviceType\": \"solar\"}")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> devices.create(
                "{\"serialNumber\": \"../x\", \"siteId\": 1, \"deviceType\": \"SOLAR_INVERTER\"}")).status());
    }

    @Test
    void aSiteThatIsNoNumberIs404() {
        assertEquals("unknown site 'north'", assertThrows(ApiException.class,
                () -> commands.command("north", "INV-001", "{\"command\": \"STOP\"}")).getMessage());
    }
}
