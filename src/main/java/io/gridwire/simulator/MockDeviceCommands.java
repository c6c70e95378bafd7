package io.gridwire.simulator;

import java.util.Map;

import io.gridwire.api.ApiException;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.sink.UntilAvailable;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/** Commands for mock devices arriving on energy/devices/{id}/commands; any refusal becomes the dead letter's reason. */
public class MockDeviceCommands {

    private final MockDeviceManager devices;
    private final JsonPayloads payloads;
    private final UntilAvailable retry;

    /** @param retry waits for PostgreSQL while it is unavailable (the command stays unacked meanwhile) */
    public MockDeviceCommands(MockDeviceManager devices, JsonPayloads payloads, UntilAvailable retry) {
        this.retry = retry;
        this.devices = devices;
        this.payloads = payloads;
    }

    /**
     * Applies a seed 001 command payload ({"command": "...", "parameters": {...}}) to the device named in the topic.
     *
     * @return the device as it is afterwards
     * @throws InvalidMessageException no device id in the topic, or a refused command (the dead letter's reason)
     */
    public Map<String, Object> apply(@Body byte[] payload, @Header("deviceId") String deviceId, Exchange exchange) throws Exception {
        if (deviceId == null) {
            throw new InvalidMessageException("topic has no device id");
        }
        Map<String, Object> command = payloads.object(payload);
        try {
            // PostgreSQL down: wait for it (the command stays unacked) rather than dead-letter a valid command
            return retry.run(exchange.getContext(), "Command for mock device " + deviceId, () -> devices.command(deviceId, command));
        } catch (ApiException e) {
            throw new InvalidMessageException(e.getMessage());
        }
    }
}
