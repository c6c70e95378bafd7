package io.gridwire.deviceevents;

import io.gridwire.platform.Platform;
import io.gridwire.simulator.DeviceTypes;
import io.gridwire.simulator.MockDeviceMirrors;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

/**
 * Wiring of the device events family (seed 000, deviceevents.camel.yaml): the registry of real devices and its REST
 * API, the outbox publishing its events, and the listener on {@code mqtt.topics.deviceEvents} that mirrors each real
 * device as a mock device of the simulator.
 */
public class DeviceEventsConfiguration implements CamelConfiguration {

    @PropertyInject("events.topic")
    private String topic;
    @PropertyInject("events.source")
    private String source;
    @PropertyInject("events.unknownType.basePower")
    private double unknownTypePowerKw;
    @PropertyInject("events.unknownType.baseVoltage")
    private double unknownTypeVoltage;

    @Override
    public void configure(CamelContext context) throws Exception {
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        DeviceEventOutbox outbox = platform.closeOnStop(new DeviceEventOutbox(platform.dataSource(),
                platform.sender("-events-out", "publishing device events")));
        registry.bind("deviceEventOutbox", outbox);
        registry.bind("registryApi", new RegistryApi(new DeviceRegistry(platform.dataSource(), topic, source), outbox));
        registry.bind("deviceEventSync", new DeviceEventSync(platform.dataSource(),
                () -> registry.lookupByNameAndType("mockDeviceMirrors", MockDeviceMirrors.class), platform.payloads(),
                new DeviceTypes.Base(unknownTypePowerKw, unknownTypeVoltage)));
        platform.sinkPipeline("deviceEventsPipeline", "device-events", "direct:device-events-store");
        platform.ingestClient("eventsMqttClient", "-events", "mqtt-device-events", "device events", "mqtt.topics.deviceEvents");
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/api/v1/registry/devices");
    }
}
