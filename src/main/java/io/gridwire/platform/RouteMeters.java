package io.gridwire.platform;

import io.gridwire.metrics.Meters;

import io.gridwire.mqtt.MqttIngestConsumer;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.Route;
import org.apache.camel.spi.CamelEvent;

/**
 * Meters that follow the routes: gridwire_messages_awaiting_ack{route} for every route consuming MQTT (messages
 * received and not yet acked: waiting for their sinks to commit, or for a sink to come back), including the PDU
 * broker routes created at run time; for ingest routes gridwire_ingest_received_total{route} and
 * gridwire_ingest_messages_total{route,outcome}; and gridwire_health_check_up{check} for every health check.
 */
public class RouteMeters extends io.gridwire.platform.LifecycleNotifier {

    private final CamelContext context;
    private final Meters meters;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private volatile boolean started;
    /** How often the health checks behind gridwire_health_check_up run (ms). */
    static final long HEALTH_EVERY_MS = 10_000;
    /** Last state of each health check: 1 UP, 0 otherwise. */
    private final Map<String, Integer> health = new ConcurrentHashMap<>();

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
            healthChecks();
        } else if (started && event instanceof CamelEvent.RouteStartedEvent r) {
            watch(r.getRoute());
        }
    }

    /**
     * gridwire_health_check_up{check}: 1 while a dependency or component check (not the per-route ones) is UP, 0
     * otherwise. The checks run every {@link #HEALTH_EVERY_MS} on a thread of their own, not on the scrape: with a
     * dependency down they take seconds each, and a scrape must answer within Prometheus' timeout.
     */
    private void healthChecks() {
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry == null) {
            return;
        }
        java.util.List<HealthCheck> checks = registry.stream()
                .filter(c -> !"routes".equals(c.getGroup()) && !c.getId().startsWith("route:") && !c.getId().equals("context"))
                .toList();
        for (HealthCheck c : checks) {
            health.put(c.getId(), 0);
            meters.gauge("gridwire_health_check_up", () -> health.getOrDefault(c.getId(), 0), "check", c.getId());
        }
        context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "health-metrics").scheduleWithFixedDelay(() -> {
            for (HealthCheck c : checks) {
                try {
                    health.put(c.getId(), c.call().getState() == HealthCheck.State.UP ? 1 : 0);
                } catch (RuntimeException e) {
                    health.put(c.getId(), 0);
                }
            }
        }, 0, HEALTH_EVERY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private MqttIngestConsumer consumer(String routeId) {
        Route r = context.getRoute(routeId);
        return r != null && r.getConsumer() instanceof MqttIngestConsumer c ? c : null;
    }

    private void watch(Route route) {
        String id = route.getRouteId();
        String uri = route.getEndpoint().getEndpointUri();
        if (uri.startsWith("mqtt-ingest:") && watched.add(id)) {
            // one exchange per batch: the consumer counts the messages (the route it belongs to may be reloaded)
            meters.gauge("gridwire_messages_awaiting_ack", () -> consumer(id) == null ? 0 : consumer(id).awaitingAck(),
                    "route", id);
            meters.counter("gridwire_ingest_received", () -> consumer(id) == null ? 0 : consumer(id).received(), "route", id);
            for (boolean deadLetters : new boolean[] {false, true}) {
                meters.counter("gridwire_ingest_messages", () -> consumer(id) == null ? 0 : consumer(id).acked(deadLetters),
                        "route", id, "outcome", deadLetters ? "dead_letter" : "committed");
            }
        } else if (uri.startsWith("paho-mqtt5:") && watched.add(id)) {
            meters.gauge("gridwire_messages_awaiting_ack", () -> context.getInflightRepository().size(id), "route", id);
        }
    }
}
