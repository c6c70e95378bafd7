package io.gridwire.platform;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one block once gridwire has started: version and profile, where the API, console, health and metrics are,
 * and each broker connection and sink with its state at that moment (from the dependency health checks).
 */
public class StartupBanner extends LifecycleNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(StartupBanner.class);
    private final CamelContext context;
    private final Function<String, String> p;
    private final java.util.function.Supplier<String> simulator;
    private final java.util.function.Supplier<String> hawtio;
    private final AtomicBoolean logged = new AtomicBoolean();

    /**
     * @param properties resolves a configuration key
     * @param simulator  the simulator's state line
     * @param hawtio     the console's state (its URL, or why it is off)
     */
    public StartupBanner(CamelContext context, Function<String, String> properties, java.util.function.Supplier<String> simulator,
                         java.util.function.Supplier<String> hawtio) {
        this.context = context;
        this.p = properties;
        this.simulator = simulator;
        this.hawtio = hawtio;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStartedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        if (logged.getAndSet(true)) {
            return;
        }
        // the supervising route controller starts the routes after the context: log once it is through them
        Thread t = new Thread(() -> {
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (context.getRouteController().isStartingRoutes() && System.nanoTime() < until) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            log();
        }, "gridwire-startup-banner");
        t.setDaemon(true);
        t.start();
    }

    private void log() {
        Map<String, HealthCheck.Result> checks = new HashMap<>();
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        for (String id : new String[] {"mqtt-energy", "mqtt-commands", "mqtt-device-events", "mqtt-autocore", "mqtt-sites",
                "mqtt-pdu-brokers", "postgresql", "influxdb", "kafka"}) {
            Object check = registry == null ? null : registry.getCheck(id).orElse(null);
            if (check instanceof HealthCheck h) {
                checks.put(id, h.call());
            }
        }
        String http = "http://localhost:" + p.apply("http.port");
        String version = StartupBanner.class.getPackage().getImplementationVersion();
        String profile = context.getCamelContextExtension().getProfile();
        long started = context.getRoutes().stream().filter(r -> context.getRouteController().getRouteStatus(r.getRouteId())
                .isStarted()).count();
        StringBuilder b = new StringBuilder();
        b.append("gridwire ").append(version == null ? "(development build)" : version).append(" started, profile ")
                .append(profile == null ? "default" : profile).append(", ").append(started).append(" of ")
                .append(context.getRoutes().size()).append(" routes running\n");
        line(b, "HTTP", http + "  (REST API " + http + "/api/v1, OpenAPI " + http + "/api/v1/openapi.json)");
        line(b, "Hawtio", hawtio.get());
        line(b, "Health", http + "/observe/health  (details: ?exposureLevel=full&data=true; liveness /observe/health/live, "
                + "readiness /observe/health/ready)");
        line(b, "Metrics", http + "/observe/metrics  (Prometheus)");
        line(b, "MQTT", "tcp://" + p.apply("mqtt.broker.host") + ":" + p.apply("mqtt.broker.port") + " as "
                + p.apply("mqtt.username"));
        for (String[] c : new String[][] {{"mqtt-energy", "energy readings", "mqtt.topics.energyData"},
                {"mqtt-commands", "mock device commands", "mqtt.topics.energyCommands"},
                {"mqtt-device-events", "device events", "mqtt.topics.deviceEvents"},
                {"mqtt-autocore", "AutoCore", "autocore.topics"}, {"mqtt-sites", "EMS sites", "sites.topics"}}) {
            line(b, "", "  " + c[1] + " (" + p.apply(c[2]) + "): " + state(checks.get(c[0])));
        }
        HealthCheck.Result pdu = checks.get("mqtt-pdu-brokers");
        line(b, "", "  PDU socket brokers: " + (pdu != null && pdu.getDetails().keySet().stream().noneMatch(k -> k.contains(":"))
                ? "none configured (" + http + "/pdus)" : state(pdu)));
        line(b, "PostgreSQL", p.apply("db.url") + ": " + state(checks.get("postgresql")));
        line(b, "InfluxDB v2", p.apply("influx.url") + " (org " + p.apply("influx.org") + ", bucket " + p.apply("influx.bucket")
                + "): " + state(checks.get("influxdb")));
        line(b, "Kafka", p.apply("kafka.bootstrap.servers") + " (topics " + p.apply("kafka.topics.energyReadings") + ", "
                + p.apply("sites.kafka.telemetryTopic") + ", " + p.apply("sites.kafka.statusTopic") + ", "
                + p.apply("kafka.topics.deviceNotifications") + ", " + p.apply("kafka.topics.deviceAlerts") + "): "
                + state(checks.get("kafka")));
        line(b, "Simulator", simulator.get() + "; API " + http + "/api/v1/devices");
        line(b, "APIs", http + "/api/v1/registry/devices, " + http + "/api/v1/autocore/devices, " + http + "/api/v1/ems/devices, "
                + http + "/pdus, " + http + "/api/v1/dead-letters");
        LOG.info(b.toString().stripTrailing());
    }

    private static void line(StringBuilder b, String label, String text) {
        b.append("  ").append(String.format("%-12s", label)).append(text).append('\n');
    }

    private static String state(HealthCheck.Result r) {
        if (r == null) {
            return "no check";
        }
        if (r.getState() == HealthCheck.State.UP) {
            return "up";
        }
        return "DOWN - " + r.getMessage().orElse("no reason given") + " (gridwire keeps retrying)";
    }
}
