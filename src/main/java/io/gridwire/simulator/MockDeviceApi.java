package io.gridwire.simulator;

import io.gridwire.api.Http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.apache.camel.Exchange;

/** Seed 001's REST API over the mock devices (paths in simulator.camel.yaml). */
public class MockDeviceApi {

    private final MockDevices devices;
    private final MockDeviceManager manager;
    private final MockDeviceSimulation simulation;
    private final BooleanSupplier mqttConnected;

    /** @param mqttConnected whether the mock devices' connection to the broker is up */
    public MockDeviceApi(MockDevices devices, MockDeviceManager manager, MockDeviceSimulation simulation,
                         BooleanSupplier mqttConnected) {
        this.devices = devices;
        this.manager = manager;
        this.simulation = simulation;
        this.mqttConnected = mqttConnected;
    }

    /** GET /api/v1/devices: 200 with every mock device (base_power kW, base_voltage V, energy kWh). */
    public void list(Exchange e) {
        Http.respond(e, 200, devices.list());
    }

    /** POST /api/v1/devices: 201 with the new device; see {@link MockDeviceManager#create} for the body and errors. */
    public void create(Exchange e) throws Exception {
        Http.respond(e, 201, manager.create(Http.body(e)));
    }

    /** GET /api/v1/devices/{id}: 200 with the device. @throws io.gridwire.api.ApiException 404 for an unknown id */
    public void get(Exchange e) {
        Http.respond(e, 200, devices.get(Http.path(e, "id")));
    }

    /** PUT /api/v1/devices/{id}: 200 with the device; see {@link MockDeviceManager#update}. */
    public void update(Exchange e) throws Exception {
        Http.respond(e, 200, manager.update(Http.path(e, "id"), Http.body(e)));
    }

    /** DELETE /api/v1/devices/{id}: 204; see {@link MockDeviceManager#delete}. */
    public void delete(Exchange e) throws Exception {
        manager.delete(Http.path(e, "id"));
        Http.respond(e, 204, null);
    }

    /** GET /api/v1/devices/{id}/readings: 200 with the latest reading; see {@link MockDevices#readings}. */
    public void readings(Exchange e) {
        Http.respond(e, 200, devices.readings(Http.path(e, "id")));
    }

    /** POST /api/v1/devices/{id}/command: 200 with the device afterwards; see {@link MockDeviceManager#command}. */
    public void command(Exchange e) throws Exception {
        Http.respond(e, 200, manager.command(Http.path(e, "id"), Http.body(e)));
    }

    /** POST /api/v1/devices/{id}/simulate: 200 with the reading sent; see {@link MockDeviceSimulation#simulate}. */
    public void simulate(Exchange e) throws Exception {
        Http.respond(e, 200, simulation.simulate(Http.path(e, "id")));
    }

    /** GET /api/v1/simulation/status: 200 with {@link MockDeviceSimulation#status}. */
    public void simulationStatus(Exchange e) {
        Http.respond(e, 200, simulation.status());
    }

    /** POST /api/v1/simulation/start: 200 with the status afterwards. */
    public void simulationStart(Exchange e) {
        Http.respond(e, 200, simulation.start());
    }

    /** POST /api/v1/simulation/stop: 200 with the status afterwards. */
    public void simulationStop(Exchange e) {
        Http.respond(e, 200, simulation.stop());
    }

    /** Seed 001's /health: healthy while the mock devices can reach the broker. */
    public void health(Exchange e) {
        boolean connected = mqttConnected.getAsBoolean();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", connected ? "healthy" : "unhealthy");
        m.put("service", "gridwire mock devices");
        m.put("mqtt_connected", connected);
        m.put("simulation_running", simulation.running());
        m.put("devices", devices.size());
        Http.respond(e, connected ? 200 : 503, m);
    }
}
