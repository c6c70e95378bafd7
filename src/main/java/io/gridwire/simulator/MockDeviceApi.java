package io.gridwire.simulator;

import io.gridwire.api.Http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.gridwire.simulator.MockDevices;
import org.apache.camel.Exchange;

/** Seed 001's REST API over the mock devices (paths in simulator.camel.yaml). */
public class MockDeviceApi {

    private final MockDevices devices;
    private final BooleanSupplier mqttConnected;

    public MockDeviceApi(MockDevices devices, BooleanSupplier mqttConnected) {
        this.devices = devices;
        this.mqttConnected = mqttConnected;
    }

    public void list(Exchange e) {
        Http.respond(e, 200, devices.list());
    }

    public void create(Exchange e) throws Exception {
        Http.respond(e, 201, devices.create(Http.body(e)));
    }

    public void get(Exchange e) {
        Http.respond(e, 200, devices.get(Http.path(e, "id")));
    }

    public void update(Exchange e) throws Exception {
        Http.respond(e, 200, devices.update(Http.path(e, "id"), Http.body(e)));
    }

    public void delete(Exchange e) throws Exception {
        devices.delete(Http.path(e, "id"));
        Http.respond(e, 204, null);
    }

    public void readings(Exchange e) {
        Http.respond(e, 200, devices.readings(Http.path(e, "id")));
    }

    public void command(Exchange e) throws Exception {
        Http.respond(e, 200, devices.command(Http.path(e, "id"), Http.body(e)));
    }

    public void simulate(Exchange e) throws Exception {
        Http.respond(e, 200, devices.simulate(Http.path(e, "id")));
    }

    public void simulationStatus(Exchange e) {
        Http.respond(e, 200, devices.status());
    }

    public void simulationStart(Exchange e) {
        Http.respond(e, 200, devices.start());
    }

    public void simulationStop(Exchange e) {
        Http.respond(e, 200, devices.stop());
    }

    /** Seed 001's /health: healthy while the mock devices can reach the broker. */
    public void health(Exchange e) {
        boolean connected = mqttConnected.getAsBoolean();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", connected ? "healthy" : "unhealthy");
        m.put("service", "gridwire mock devices");
        m.put("mqtt_connected", connected);
        m.put("simulation_running", devices.running());
        m.put("devices", devices.size());
        Http.respond(e, connected ? 200 : 503, m);
    }
}
