package io.gridwire.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spi.CamelEvent;

/**
 * Meters that follow the routes: gridwire_messages_awaiting_ack{route} for every route consuming MQTT (messages
 * received and not yet acked: waiting for their sinks to commit, or for a sink to come back), including the PDU
 * broker routes created at run time.
 */
public class RouteMeters extends io.gridwire.ops.LifecycleNotifier {

    private final CamelContext context;
    private final Meters meters;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private volatile boolean started;

    public RouteMeters(CamelContext context, Meters meters) {
        this.context = context;
        this.meters = meters;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStartedEvent || event instanceof CamelEvent.RouteStartedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof CamelEvent.CamelContextStartedEvent) {
            // the meter registry is bound by now
            started = true;
            context.getRoutes().forEach(this::watch);
        } else if (started && event instanceof CamelEvent.RouteStartedEvent r) {
            watch(r.getRoute());
        }
    }

    private void watch(Route route) {
        String id = route.getRouteId();
        if (route.getEndpoint().getEndpointUri().startsWith("paho-mqtt5:") && watched.add(id)) {
            meters.gauge("gridwire_messages_awaiting_ack", () -> context.getInflightRepository().size(id), "route", id);
        }
    }
}
