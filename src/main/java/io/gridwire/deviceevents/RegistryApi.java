package io.gridwire.deviceevents;

import io.gridwire.api.Http;

import io.gridwire.deviceevents.DeviceEventOutbox;
import io.gridwire.deviceevents.DeviceRegistry;
import org.apache.camel.Exchange;

/** Seed 000's registry REST API; each change's event is published right after the commit. */
public class RegistryApi {

    private final DeviceRegistry registry;
    private final DeviceEventOutbox outbox;

    public RegistryApi(DeviceRegistry registry, DeviceEventOutbox outbox) {
        this.registry = registry;
        this.outbox = outbox;
    }

    public void list(Exchange e) throws Exception {
        Http.respond(e, 200, registry.list());
    }

    public void get(Exchange e) throws Exception {
        Http.respond(e, 200, registry.get(Http.path(e, "id")));
    }

    public void create(Exchange e) throws Exception {
        var device = registry.create(Http.body(e));
        outbox.publishPending();
        Http.respond(e, 201, device);
    }

    public void update(Exchange e) throws Exception {
        var device = registry.update(Http.path(e, "id"), Http.body(e));
        outbox.publishPending();
        Http.respond(e, 200, device);
    }

    public void delete(Exchange e) throws Exception {
        registry.delete(Http.path(e, "id"));
        outbox.publishPending();
        Http.respond(e, 204, null);
    }
}
