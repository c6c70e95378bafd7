package io.gridwire.bench;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * One family's measurement against a running gridwire: raw broker rate three times (before the warm-up, before the
 * burst, at the end), warm-up, burst (end-to-end rate, CPU), paced run (latency); prints each as it goes.
 */
public final class FamilyBench {

    /** Seconds of the paced run. */
    static final int PACED_SECONDS = 20;
    /** At most this many warm-up messages (fewer when N is smaller). */
    static final int WARM_UP_MAX = 20_000;

    /** One family's figures: the summary table's row. */
    public record Result(String family, double[] raw, double rate, double cpuPer100k, double heapMb, double pacedRate,
                         double p50, double p99, double brokerP99, String clock, boolean complete) {
        /** The median of the three raw broker runs. */
        double rawMedian() {
            return sortedRaw()[1];
        }

        double[] sortedRaw() {
            double[] r = raw.clone();
            Arrays.sort(r);
            return r;
        }
    }

    private record Burst(Landing landing, double cpuPer100k) {
    }

    private record Paced(double rate, double p50, double p99, double brokerP99) {
    }

    private final Family f;
    private final GridwireProcess gridwire;
    private final HeapPeaks heap;
    private final Mqttload mqttload;
    private final int n;
    private final int m;
    private final List<String> devices;
    private boolean refusedNoted;

    FamilyBench(Family f, GridwireProcess gridwire, HeapPeaks heap, Mqttload mqttload, int n, int m) {
        this.f = f;
        this.gridwire = gridwire;
        this.heap = heap;
        this.mqttload = mqttload;
        this.n = n;
        this.m = m;
        this.devices = f.devices(m);
    }

    Result run() throws Exception {
        heap.phase(f.name);
        System.out.println();
        System.out.println("== " + f.describe());
        f.setUp(gridwire, new Api(gridwire.httpPort()), devices);
        double[] raw = new double[3];
        raw[0] = raw(1);
        warmUp();
        raw[1] = raw(2);
        Burst b = burst();
        Paced p = b.landing().complete() ? paced(0.5 * b.landing().rate())
                : new Paced(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        raw[2] = raw(3);
        Result r = new Result(f.name, raw, b.landing().rate(), b.cpuPer100k(), heap.peakMb(f.name), p.rate(), p.p50(),
                p.p99(), p.brokerP99(), f.clock().clock(), b.landing().complete());
        System.out.printf(Locale.ROOT, "raw broker: median %.0f msg/s (range %.0f-%.0f); gridwire / raw = %.2f%n",
                r.rawMedian(), r.sortedRaw()[0], r.sortedRaw()[2], r.rate() / r.rawMedian());
        System.out.printf(Locale.ROOT, "peak heap in use: %.0f MB (jstat every second, garbage included; -Xmx512m); dead "
                                       + "letters from the family's topics: %d%n", r.heapMb(),
                Sinks.count("SELECT count(*) FROM dead_letters WHERE topic LIKE ?", f.topic().replace("%s", "%")));
        return r;
    }

    /** The broker alone, on the family's topic shape under bench-raw/; the subscriber's rate. */
    private double raw(int i) throws Exception {
        Mqttload.Raw r = rawRun(n, 0);
        System.out.printf(Locale.ROOT, "raw broker %d/3: %s | %s%n", i, r.publisher(), r.subscriber());
        return r.rate();
    }

    /** mqttload pub -> sub under bench-raw/ as the family's account (gridwire's where an older ACL refuses it). */
    private Mqttload.Raw rawRun(int count, double rate) throws Exception {
        String filter = f.rawTopic().replace("%s", "+");
        Mqttload.Raw r;
        try {
            r = mqttload.raw(f.publisher(), f.format(), f.rawTopic(), filter, f.devicePrefix, count, m, rate);
        } catch (Mqttload.Refused e) {
            if (!refusedNoted) {
                System.out.println("  (the running broker's ACL does not let " + f.publisher().user() + " publish under "
                                   + "bench-raw/: raw runs publish as " + Mqttload.Account.GRIDWIRE.user()
                                   + "; restart the broker to load mosquitto.acl)");
                refusedNoted = true;
            }
            r = mqttload.raw(Mqttload.Account.GRIDWIRE, f.format(), f.rawTopic(), filter, f.devicePrefix, count, m, rate);
        }
        if (r.received() < count) {
            System.out.printf(Locale.ROOT, "  WARNING: the raw subscriber received %d of %d%n", r.received(), count);
        }
        return r;
    }

    /** JIT, connections, Kafka metadata, device registration (AutoCore): the figures describe the steady state. */
    private void warmUp() throws Exception {
        int warm = Math.min(WARM_UP_MAX, n);
        Sink.Phase phase = begin("warm-up", warm);
        mqttload.publish(f.publisher(), f.format(), f.topic(), f.devicePrefix, warm, m, 0);
        Landing w = Landing.await(f, phase).read();
        if (w.complete()) {
            System.out.printf(Locale.ROOT, "warm-up: %d messages in every sink %.1f s after the first publish%n", warm, w.seconds());
        } else {
            System.out.println("warm-up: WARNING: INCOMPLETE after 2 minutes without progress");
            w.sinkLines().forEach(l -> System.out.println("  " + l));
        }
    }

    /** N messages as fast as the broker takes them: end-to-end rate and gridwire's CPU over it. */
    private Burst burst() throws Exception {
        long pid = gridwire.pid();
        CpuTimes rest = CpuTimes.now(pid);
        TimeUnit.SECONDS.sleep(3);
        double idle = CpuTimes.now(pid).gridwireSince(rest) / 3;

        Sink.Phase phase = begin("burst", n);
        CpuTimes before = CpuTimes.now(pid);
        String published = mqttload.publish(f.publisher(), f.format(), f.topic(), f.devicePrefix, n, m, 0);
        Landing b = Landing.await(f, phase);
        CpuTimes after = CpuTimes.now(pid);
        b.read();
        double cpu = after.gridwireSince(before);
        System.out.println("burst: mqttload " + published);
        b.sinkLines().forEach(l -> System.out.println("  " + l));
        System.out.printf(Locale.ROOT, "end to end: %d messages in every sink %.2f s after the first publish (end: %s): "
                                       + "%.0f msg/s%s%n", n, b.seconds(), b.endBy(), b.rate(),
                b.complete() ? "" : " - WARNING: INCOMPLETE after 2 minutes without progress");
        System.out.printf(Locale.ROOT, "gridwire CPU: %.2f s for the burst = %.2f CPU-s per 100 000 messages (at rest it "
                                       + "uses %.3f CPU-s/s; the window ends at the poll that saw the last sink complete)%n",
                cpu, cpu / n * 100_000, idle);
        System.out.println(after.since(before));
        return new Burst(b, cpu / n * 100_000);
    }

    /** About PACED_SECONDS at the given rate: publish -> commit latency, and gridwire's own time per exchange. */
    private Paced paced(double rate) throws Exception {
        int count = (int) Math.max(100, Math.round(rate * PACED_SECONDS));
        // the broker alone at the same pace: how much of gridwire's latency the broker itself adds (e.g. its autosave)
        Mqttload.Raw broker = rawRun(count, rate);
        System.out.printf(Locale.ROOT, "broker alone at %.0f msg/s (mqttload pub -> sub under bench-raw/, receipt minus "
                                       + "publish): p50 %.1f ms, p99 %.1f ms (%s)%n", rate, broker.p50(), broker.p99(),
                broker.subscriber());
        Sink.Phase phase = begin("paced", count);
        double[] route0 = routeTime();
        String paced = mqttload.publish(f.publisher(), f.format(), f.topic(), f.devicePrefix, count, m, rate);
        Landing p = Landing.await(f, phase).read();
        double[] route1 = routeTime();
        System.out.printf(Locale.ROOT, "paced at %.0f msg/s (half the end-to-end rate): mqttload %s%n", rate, paced);
        System.out.printf(Locale.ROOT, "latency publish -> %s: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d messages%s%n",
                f.clock().clock(), p.latencyMs(50), p.latencyMs(99), p.latencyMs(100), count,
                p.complete() ? "" : " - WARNING: INCOMPLETE");
        System.out.printf(Locale.ROOT, "  (%s: %s)%n", f.clock().clock(), f.clockNote());
        double exchanges = route1[1] - route0[1];
        if (exchanges > 0) {
            System.out.printf(Locale.ROOT, "  gridwire's own time in route %s (Camel route policy, up to the MQTT ack): "
                                           + "%.0f exchanges, mean %.1f ms, recent max %.1f ms%n", f.ingestRoute(), exchanges,
                    (route1[0] - route0[0]) / exchanges * 1000, route1[2] * 1000);
        }
        return new Paced(rate, p.latencyMs(50), p.latencyMs(99), broker.p99());
    }

    private Sink.Phase begin(String name, int count) {
        return begin(f, devices, name, count);
    }

    /** A phase begins: its clock starts now and the family's sinks note where they stand (Kafka offsets). */
    static Sink.Phase begin(Family f, List<String> devices, String name, int count) {
        Sink.Phase p = new Sink.Phase(name, devices, Instant.now(), count);
        f.sinks().forEach(s -> s.begin(p));
        return p;
    }

    /**
     * {sum s, count, max s} of the Camel route policy timer over the family's ingest route(s) (gridwire's Prometheus
     * metrics; max is Micrometer's recent maximum); zeros when gridwire has no such timer.
     */
    private double[] routeTime() throws Exception {
        String metrics = gridwire.get("/observe/metrics");
        Matcher r = Pattern.compile("^camel_route_policy_seconds_(sum|count|max)\\{[^}]*routeId=\"(?:" + f.ingestRoute()
                                    + ")\"[^}]*} (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        double[] out = new double[3];
        while (r.find()) {
            double v = Double.parseDouble(r.group(2));
            switch (r.group(1)) {
                case "sum" -> out[0] += v;
                case "count" -> out[1] += v;
                default -> out[2] = Math.max(out[2], v);
            }
        }
        return out;
    }
}
