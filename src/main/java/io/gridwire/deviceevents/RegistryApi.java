package io.gridwire.deviceevents;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Seed 000's registry REST API (bean {@code registryApi}, paths in deviceevents.camel.yaml; bodies and answers as
 * in seed 000); each change's event is published right after the commit. Every method returns
 * the {@link Reply} the REST route configuration writes; refusals are thrown as {@link ApiException}.
 */
public class RegistryApi {

    private final DeviceRegistry registry;
    private final DeviceEventOutbox outbox;

    public RegistryApi(DeviceRegistry registry, DeviceEventOutbox outbox) {
        this.registry = registry;
        this.outbox = outbox;
    }

    /**
     * GET /api/v1/registry/devices: every registered device.
     *
     * @return 200 with the list of devices ({@link DeviceRegistry#list})
     * @throws java.sql.SQLException PostgreSQL unavailable
     */
    public Reply list() throws Exception {
        return Reply.ok(registry.list());
    }

    /**
     * GET /api/v1/registry/devices/{id}.
     *
     * @param id the path's device id
     * @return 200 with the device
     * @throws ApiException 404 for an unknown id
     */
    public Reply get(@Header("id") String id) throws Exception {
        return Reply.ok(registry.get(id));
    }

    /**
     * POST /api/v1/registry/devices with the device as a JSON object; its device event is published after the commit.
     *
     * @param body the raw request body
     * @return 201 with the device
     * @throws ApiException 400 for an invalid body, 413 for one over 64 KiB, 409 for an id that exists
     */
    public Reply create(@Body String body) throws Exception {
        var device = registry.create(Http.object(body));
        outbox.publishPending();
        return Reply.created(device);
    }

    /**
     * PUT /api/v1/registry/devices/{id} with the fields to change; its device event is published after the commit.
     *
     * @param id   the path's device id
     * @param body the raw request body
     * @return 200 with the device as it is now
     * @throws ApiException 400 for an invalid body (or an id in it that is not the path's), 413, 404 for an unknown id
     */
    public Reply update(@Header("id") String id, @Body String body) throws Exception {
        var device = registry.update(id, Http.object(body));
        outbox.publishPending();
        return Reply.ok(device);
    }

    /**
     * DELETE /api/v1/registry/devices/{id}; its device event is published after the commit.
     *
     * @param id the path's device id
     * @return 204
     * @throws ApiException 404 for an unknown id
     */
    public Reply delete(@Header("id") String id) throws Exception {
        registry.delete(id);
        outbox.publishPending();
        return Reply.noContent();
    }
}
