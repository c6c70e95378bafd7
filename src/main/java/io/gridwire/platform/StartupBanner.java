package io.gridwire.platform;

import java.util.concurrent.atomic.AtomicBoolean;

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
    private final Platform platform;
    private final java.util.function.Supplier<String> hawtio;
    private final AtomicBoolean logged = new AtomicBoolean();

    /**
     * @param platform the shared resources, and the lines families added (their MQTT subscriptions, APIs, ...)
     * @param hawtio   the console's state (its URL, or why it is off)
     */
    public StartupBanner(CamelContext context, Platform platform, java.util.function.Supplier<String> hawtio) {
        this.context = context;
        this.platform = platform;
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
            awaitRoutesStarted(context, 60_000);
            if (!Thread.currentThread().isInterrupted()) {
                log();
            }
        }, "gridwire-startup-banner");
        t.setDaemon(true);
        t.start();
    }

    private void log() {
        java.util.function.Function<String, String> p = platform::property;
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        java.util.function.Function<String, HealthCheck.Result> check = id -> {
            Object c = registry == null ? null : registry.getCheck(id).orElse(null);
            return c instanceof HealthCheck h ? h.call() : null;
        };
        String http = platform.httpUrl();
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
        line(b, "MQTT", platform.broker().uri() + " as " + p.apply("mqtt.username")
                                + (platform.broker().tls() == null || p.apply("mqtt.tls.certFile").isBlank() ? "" : " with client certificate"));
        java.util.Map<String, java.util.List<String>> sections = new java.util.LinkedHashMap<>();
        for (Platform.BannerLine l : platform.bannerLines()) {
            sections.computeIfAbsent(l.section(), k -> new java.util.ArrayList<>()).add(l.text().get());
        }
        // families are configured in the package scan's order: list each section's lines alphabetically
        sections.values().forEach(texts -> texts.sort(String.CASE_INSENSITIVE_ORDER));
        sections.getOrDefault("MQTT", java.util.List.of()).forEach(text -> line(b, "", text));
        line(b, "PostgreSQL", DependencyCheck.redacted(p.apply("db.url")) + ": " + state(check.apply("postgresql")));
        line(b, "InfluxDB v2", p.apply("influx.url") + " (org " + p.apply("influx.org") + ", bucket " + p.apply("influx.bucket")
                + "): " + state(check.apply("influxdb")));
        String kafkaProtocol = platform.kafkaClients().protocol();
        line(b, "Kafka", p.apply("kafka.bootstrap.servers") + (kafkaProtocol.equals("PLAINTEXT") ? "" : " over " + kafkaProtocol) + " (topics " + String.join(", ", platform.kafkaTopics().names().stream()
                .filter(t -> !t.endsWith("-dlt")).toList()) + "): " + state(check.apply("kafka")));
        sections.forEach((section, texts) -> {
            if (!section.equals("MQTT")) {
                line(b, section, String.join(section.equals("APIs") ? ", " : "; ", texts));
            }
        });
        LOG.info(b.toString().stripTrailing());
    }

    private static void line(StringBuilder b, String label, String text) {
        b.append("  ").append(String.format("%-12s", label)).append(text).append('\n');
    }

    /** "up", or "DOWN - reason (gridwire keeps retrying)"; "no check" for null. */
    static String state(HealthCheck.Result r) {
        if (r == null) {
            return "no check";
        }
        if (r.getState() == HealthCheck.State.UP) {
            return "up";
        }
        return "DOWN - " + r.getMessage().orElse("no reason given") + " (gridwire keeps retrying)";
    }
}
