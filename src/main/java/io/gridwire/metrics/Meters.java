package io.gridwire.metrics;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;

/**
 * gridwire's own meters (names start with gridwire_), in the Prometheus registry camel-micrometer-prometheus
 * serves at /observe/metrics. The registry is looked up on first use (it is bound while Camel starts).
 */
public class Meters {

    private final CamelContext context;
    private volatile MeterRegistry registry;

    public Meters(CamelContext context) {
        this.context = context;
    }

    public void count(String name, String... tags) {
        registry().counter(name, tags).increment();
    }

    public void time(String name, long nanos, String... tags) {
        Timer.builder(name).tags(tags).register(registry()).record(nanos, TimeUnit.NANOSECONDS);
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            r = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (r == null) {
                return Metrics.globalRegistry; // metrics off, or not bound yet: counted nowhere
            }
            registry = r;
        }
        return r;
    }
}
