package io.gridwire.simulator;

import java.util.Map;

import io.gridwire.api.ApiException;
import io.gridwire.mqtt.JsonPayloads;
import io.gridwire.telemetry.InvalidMessageException;
import org.apache.camel.Body;
import org.apache.camel.Header;

/** Commands for mock devices arriving on energy/devices/{id}/commands; any refusal becomes the dead letter's reason. */
public class MockDeviceCommands {

    private final MockDevices devices;
    private final JsonPayloads payloads;

    public MockDeviceCommands(MockDevices devices, JsonPayloads payloads) {
        this.devices = devices;
        this.payloads = payloads;
    }

    public Map<String, Object> apply(@Body byte[] payload, @Header("deviceId") String deviceId) throws Exception {
        if (deviceId == null) {
            throw new InvalidMessageException("topic has no device id");
        }
        Map<String, Object> command = payloads.object(payload);
        try {
            return devices.command(deviceId, command);
        } catch (ApiException e) {
            throw new InvalidMessageException(e.getMessage());
        }
    }
}
