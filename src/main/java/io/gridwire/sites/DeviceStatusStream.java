package io.gridwire.sites;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.CamelContext;
import org.apache.camel.Body;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.CamelEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 003's "Device Status Change Flow" to a front end: Server-Sent Events at {path} on gridwire's HTTP server,
 * one "device-status" event per record of the device-status Kafka topic (fed by the route ems-status-stream).
 */
public class DeviceStatusStream extends io.gridwire.platform.LifecycleNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceStatusStream.class);

    private final CamelContext context;
    private final String path;
    private final Set<HttpServerResponse> clients = ConcurrentHashMap.newKeySet();

    private final int port;

    public DeviceStatusStream(CamelContext context, String path, int port) {
        this.context = context;
        this.path = path;
        this.port = port;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStartedEvent;
    }

    /** Once the HTTP server runs: adds the stream to its router. */
    @Override
    public void notify(CamelEvent event) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            LOG.warn("No platform HTTP router: the device status stream {} is not served", path);
            return;
        }
        router.route(HttpMethod.GET, path).order(-1).handler(ctx -> {
            HttpServerResponse r = ctx.response();
            r.setChunked(true);
            r.putHeader("Content-Type", "text/event-stream");
            r.putHeader("Cache-Control", "no-cache");
            r.write(": connected\n\n");
            clients.add(r);
            r.closeHandler(v -> clients.remove(r));
        });
        LOG.info("Device status stream (Server-Sent Events) at {}", path);
    }

    /** Sends one device-status record to every connected client. */
    public void broadcast(@Body String json) {
        String event = "event: device-status\ndata: " + json.replace("\n", " ") + "\n\n";
        for (HttpServerResponse r : clients) {
            try {
                r.write(event);
            } catch (RuntimeException e) {
                clients.remove(r);
            }
        }
    }

    public int clients() {
        return clients.size();
    }
}
