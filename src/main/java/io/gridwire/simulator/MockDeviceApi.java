package io.gridwire.simulator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Seed 001's REST API over the mock devices (bean {@code mockDeviceApi}, paths in simulator.camel.yaml; bodies and
 * answers as in seed 001). Every method returns the {@link Reply} the REST route configuration
 * writes; refusals are thrown as {@link ApiException}. Request bodies are parsed by {@link Http#object} (400 when
 * missing or not a JSON object, 413 over 64 KiB).
 */
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
    public Reply list() {
        simulation.refreshCopy(false);
        return Reply.ok(devices.list());
    }

    /**
     * POST /api/v1/devices: 201 with the new device; see {@link MockDeviceManager#create} for the body and errors.
     *
     * @param body the raw request body
     * @throws ApiException 400/413 for an invalid body, 409 for an id that exists
     */
    public Reply create(@Body String body) throws Exception {
        simulation.refreshCopy(true);
        return Reply.created(manager.create(Http.object(body)));
    }

    /**
     * GET /api/v1/devices/{id}: 200 with the device.
     *
     * @param id the path's device id
     * @throws ApiException 404 for an unknown id
     */
    public Reply get(@Header("id") String id) {
        simulation.refreshCopy(false);
        return Reply.ok(devices.get(id));
    }

    /**
     * PUT /api/v1/devices/{id}: 200 with the device; see {@link MockDeviceManager#update}.
     *
     * @param id   the path's device id
     * @param body the raw request body
     * @throws ApiException 400/413 for an invalid body, 404 for an unknown id
     */
    public Reply update(@Header("id") String id, @Body String body) throws Exception {
        simulation.refreshCopy(true);
        return Reply.ok(manager.update(id, Http.object(body)));
    }

    /**
     * DELETE /api/v1/devices/{id}: 204; see {@link MockDeviceManager#delete}.
     *
     * @param id the path's device id
     * @throws ApiException 404 for an unknown id
     */
    public Reply delete(@Header("id") String id) throws Exception {
        simulation.refreshCopy(true);
        manager.delete(id);
        return Reply.noContent();
    }

    /**
     * GET /api/v1/devices/{id}/readings: 200 with the latest reading; see {@link MockDevices#readings}.
     *
     * @param id the path's device id
     * @throws ApiException 404 for an unknown id
     */
    public Reply readings(@Header("id") String id) {
        simulation.refreshCopy(false);
        return Reply.ok(devices.readings(id));
    }

    /**
     * POST /api/v1/devices/{id}/command: 200 with the device afterwards; see {@link MockDeviceManager#command}.
     *
     * @param id   the path's device id
     * @param body the raw request body ({"command": ..., ...})
     * @throws ApiException 400/413 for an invalid body or command, 404 for an unknown id
     */
    public Reply command(@Header("id") String id, @Body String body) throws Exception {
        simulation.refreshCopy(true);
        return Reply.ok(manager.command(id, Http.object(body)));
    }

    /**
     * POST /api/v1/devices/{id}/simulate: 200 with the reading sent; see {@link MockDeviceSimulation#simulate}.
     *
     * @param id the path's device id
     * @throws ApiException 404 for an unknown id
     */
    public Reply simulate(@Header("id") String id) throws Exception {
        simulation.refreshCopy(true);
        return Reply.ok(simulation.simulate(id));
    }

    /** GET /api/v1/simulation/status: 200 with {@link MockDeviceSimulation#status}. */
    public Reply simulationStatus() {
        simulation.refreshCopy(false);
        return Reply.ok(simulation.status());
    }

    /** POST /api/v1/simulation/start: 200 with the status afterwards. */
    public Reply simulationStart() {
        simulation.refreshCopy(true);
        return Reply.ok(simulation.start());
    }

    /** POST /api/v1/simulation/stop: 200 with the status afterwards. */
    public Reply simulationStop() {
        simulation.refreshCopy(true);
        return Reply.ok(simulation.stop());
    }

    /**
     * Seed 001's /health: healthy while the mock devices can reach the broker.
     *
     * @return 200 when connected, else 503; the body has status, service, mqtt_connected, simulation_running and
     *         devices (how many)
     */
    public Reply health() {
        simulation.refreshCopy(false);
        boolean connected = mqttConnected.getAsBoolean();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", connected ? "healthy" : "unhealthy");
        m.put("service", "gridwire mock devices");
        m.put("mqtt_connected", connected);
        m.put("simulation_running", simulation.running());
        m.put("devices", devices.size());
        return Reply.health(connected, m);
    }
}
