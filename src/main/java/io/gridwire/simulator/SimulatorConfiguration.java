package io.gridwire.simulator;

import io.gridwire.platform.Platform;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring of the simulator (seed 001 mock devices, simulator.camel.yaml): device definitions in PostgreSQL (loaded at
 * start-up), their readings published over their own connection as the device account, commands received on
 * {@code mqtt.topics.energyCommands}, and the REST API under /api/v1/devices.
 */
public class SimulatorConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatorConfiguration.class);

    @PropertyInject("mqtt.device.username")
    private String deviceUser;
    @PropertyInject("mqtt.device.password")
    private String devicePassword;
    @PropertyInject("simulator.qos")
    private int qos;
    @PropertyInject("simulator.maxInflight")
    private int maxInflight;
    @PropertyInject("simulator.seed")
    private long seed;
    @PropertyInject("simulator.topic")
    private String topic;
    @PropertyInject("simulator.statusTopic")
    private String statusTopic;
    @PropertyInject("simulator.interval")
    private long intervalMs;
    @PropertyInject("simulator.failureRate")
    private double failureRate;
    @PropertyInject("simulator.failureDurationMs")
    private long failureDurationMs;
    @PropertyInject("simulator.enabled")
    private boolean enabled;

    @Override
    public void configure(CamelContext context) throws Exception {
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        MqttPublisher publisher = platform.closeOnStop(new MqttPublisher(platform.broker(), platform.clientId("-simulator"),
                deviceUser, devicePassword, qos, maxInflight));
        registry.bind("mockDevicePublisher", publisher);
        MockDeviceStore store = new MockDeviceStore(platform.dataSource());
        MockDevices devices = new MockDevices(store);
        MockDeviceSimulation simulation = new MockDeviceSimulation(devices, store, publisher, new MockDeviceSimulation.Settings(
                seed, topic, statusTopic, intervalMs, failureRate, failureDurationMs, enabled), System::currentTimeMillis);
        MockDeviceManager manager = new MockDeviceManager(devices, store, publisher, simulation, System::currentTimeMillis);
        registry.bind("mockDevices", devices);
        registry.bind("mockDeviceSimulation", simulation);
        registry.bind("mockDeviceMirrors", new MockDeviceMirrors(devices, store, System::currentTimeMillis));
        registry.bind("mockDeviceCommands", new MockDeviceCommands(manager, platform.payloads(), platform.untilAvailable()));
        registry.bind("mockDeviceApi", new MockDeviceApi(devices, manager, simulation, publisher::connected));
        platform.onStart("mock devices", () -> {
            LOG.info("Loaded {} mock devices from PostgreSQL", simulation.load());
            simulation.storeInitialState();
            publisher.start();
        });
        // the leader runs the rounds (simulator-tick is master:), from the fleet as the previous leader left it
        simulation.setLeadership(platform.leadership());
        // commands change the leader's fleet (simulated failures live there): the leader alone takes them, under one
        // client id whose session queues them across a change of leader
        platform.leaderIngestClient("commandsMqttClient", "-commands", "mqtt-commands", "mock device commands", "mqtt.topics.energyCommands");
        platform.bannerLine("Simulator", () -> (simulation.running() ? "running" : "stopped") + " (" + devices.size()
                + " mock devices, a reading each every " + intervalMs + " ms); API " + platform.httpUrl() + "/api/v1/devices");
    }
}
