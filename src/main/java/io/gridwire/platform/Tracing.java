package io.gridwire.platform;

import java.util.Map;
import java.util.function.Function;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import org.apache.camel.CamelContext;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing through camel-opentelemetry2, off by default. It is on when the standard variables name a
 * traces exporter: {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, or
 * {@code OTEL_TRACES_EXPORTER} other than none; {@code OTEL_SDK_DISABLED=true} keeps it off. The SDK is configured
 * from the {@code OTEL_*} variables (system properties {@code otel.*} too); gridwire's defaults, which they override:
 * service name gridwire, no metrics or logs export (metrics are Prometheus's), and the resource attribute
 * service.instance.id = the instance id.
 * <p>
 * Spans: one trace per ingest batch (the ingest route's span with family, size, topics, device ids and outcome, see
 * BatchSpans), its sink stages (the stage routes, joined through the W3C headers), and within them a span per step
 * whose id begins with {@code to-} or {@code store-} (the sink writes, by convention of the route files) and per
 * endpoint a route sends to (Kafka, MQTT, HTTP); REST calls and other routes each get their trace. Other processors
 * and the timer-driven routes are not traced.
 */
final class Tracing {

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);

    private Tracing() {
    }

    /** Whether the OTEL_* settings ask for traces. {@code setting} looks a variable up (env, then system property). */
    static boolean wanted(Function<String, String> setting) {
        if ("true".equalsIgnoreCase(trim(setting.apply("OTEL_SDK_DISABLED")))) {
            return false;
        }
        String exporter = trim(setting.apply("OTEL_TRACES_EXPORTER"));
        if (exporter != null) {
            return !exporter.equalsIgnoreCase("none");
        }
        return trim(setting.apply("OTEL_EXPORTER_OTLP_ENDPOINT")) != null || trim(setting.apply("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != null;
    }

    /**
     * Turns tracing on for the context when {@link #wanted}: builds the SDK from the OTEL_* settings, registers it as
     * the global OpenTelemetry, and installs the tracer before any route exists.
     *
     * @return the SDK (closed on stop, which flushes the spans still queued), or null when tracing is off
     * @throws io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException an OTEL_* setting is malformed
     */
    static OpenTelemetrySdk enable(CamelContext context, String instanceId) {
        if (!wanted(Tracing::setting)) {
            return null;
        }
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of("otel.service.name", "gridwire", "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none"))
                .addResourceCustomizer((resource, config) -> resource.merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.instance.id"), instanceId))))
                .setResultAsGlobal()
                .build()
                .getOpenTelemetrySdk();
        SinkWriteTracer tracer = new SinkWriteTracer();
        tracer.setTraceProcessors(true);
        tracer.init(context);
        LOG.info("Tracing on: OpenTelemetry spans of every route exported as OTEL_* says ({})", describe());
        return sdk;
    }

    private static String describe() {
        String endpoint = setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (endpoint == null) {
            endpoint = setting("OTEL_EXPORTER_OTLP_ENDPOINT");
        }
        String exporter = setting("OTEL_TRACES_EXPORTER");
        return (exporter == null ? "otlp" : exporter) + (endpoint == null ? "" : " to " + endpoint);
    }

    private static String setting(String env) {
        String v = System.getenv(env);
        return trim(v != null ? v : System.getProperty(env.toLowerCase(java.util.Locale.ROOT).replace('_', '.')));
    }

    private static String trim(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /**
     * camel-opentelemetry2's tracer with processor spans only for the steps that write a sink (ids {@code to-*},
     * {@code store-*}); Camel 4.17 has no include pattern of its own. Endpoint spans stay as Camel makes them.
     */
    static final class SinkWriteTracer extends OpenTelemetryTracer {
        @Override
        public boolean exclude(String name, CamelContext context) {
            // a processor's name is "{id}-{kind}"; an endpoint's is its URI (with a scheme)
            if (name != null && name.indexOf(':') < 0) {
                return !(name.startsWith("to-") || name.startsWith("store-"));
            }
            // timer-driven upkeep (simulator rounds, retention, offline checks, outbox polls) would be a trace every few s
            if (name != null && (name.startsWith("timer:") || name.startsWith("master:") && name.contains("timer:"))) {
                return true;
            }
            return super.exclude(name, context);
        }
    }
}
