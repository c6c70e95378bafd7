package io.gridwire.metrics;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.DistributionSummary;
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
    private final java.util.List<Object> totals = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Meters(CamelContext context) {
        this.context = context;
    }

    public void count(String name, String... tags) {
        registry().counter(name, tags).increment();
    }

    public void time(String name, long nanos, String... tags) {
        Timer.builder(name).tags(tags).register(registry()).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One write to a sink: gridwire_sink_batch_size{sink} (messages per write), gridwire_sink_write_seconds{sink,outcome}
     * and, when it failed, gridwire_sink_failures_total{sink,kind} (kind transient: the sink was unavailable and the
     * write is retried; rejected: the sink refused the data).
     */
    public void sinkWrite(String sink, int size, long nanos, Throwable failure) {
        MeterRegistry r = registry();
        DistributionSummary.builder("gridwire_sink_batch_size").tag("sink", sink).register(r).record(size);
        Timer.builder("gridwire_sink_write").tags("sink", sink, "outcome", failure == null ? "ok" : "failed").register(r)
                .record(nanos, TimeUnit.NANOSECONDS);
        // both kinds exist from the sink's first write on, so a dashboard shows 0 rather than no data
        io.micrometer.core.instrument.Counter transientFailures = r.counter("gridwire_sink_failures", "sink", sink, "kind", "transient");
        io.micrometer.core.instrument.Counter rejected = r.counter("gridwire_sink_failures", "sink", sink, "kind", "rejected");
        if (failure != null) {
            (io.gridwire.message.SinkFailures.isTransient(failure) ? transientFailures : rejected).increment();
        }
    }

    /** Times one write to a sink and records it with {@link #sinkWrite}. */
    public <T> T sinkWrite(String sink, int size, Write<T> write) throws Exception {
        long start = System.nanoTime();
        try {
            T result = write.run();
            sinkWrite(sink, size, System.nanoTime() - start, null);
            return result;
        } catch (Exception | Error e) {
            sinkWrite(sink, size, System.nanoTime() - start, e);
            throw e;
        }
    }

    /** A sink write. */
    @FunctionalInterface
    public interface Write<T> {
        T run() throws Exception;
    }

    /** A gauge read on every scrape (e.g. messages awaiting their ack). */
    public void gauge(String name, java.util.function.Supplier<Number> value, String... tags) {
        io.micrometer.core.instrument.Gauge.builder(name, () -> value.get()).tags(tags).register(registry());
    }

    /** A counter read on every scrape from a running total kept elsewhere (e.g. messages acked by a consumer). */
    public void counter(String name, java.util.function.Supplier<Number> total, String... tags) {
        // Micrometer holds a function counter's state weakly: keep it here, or it reads NaN after the next GC
        totals.add(total);
        io.micrometer.core.instrument.FunctionCounter.builder(name, total, t -> t.get().doubleValue()).tags(tags)
                .register(registry());
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
