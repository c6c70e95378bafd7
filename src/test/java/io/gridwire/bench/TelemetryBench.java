package io.gridwire.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * Benchmark of gridwire's ingest per device family (not a test): bench/run.sh [N] [M] [all|energy|autocore|sites|pdu ...].
 * One gridwire JVM (-Xmx512m) subscribes under topic roots of this run's own; for each family, over M devices:
 * <ol>
 * <li>raw broker rate, three times (before, between and after the gridwire phases): mqttload publishes N QoS 1
 *     messages of the family's shape to a plain mqttload subscriber on the same topic shape under bench-raw/;</li>
 * <li>warm-up: min(20 000, N) messages through gridwire into every sink of the family;</li>
 * <li>burst: N messages as fast as the broker takes them; end-to-end rate = N / (first publish to the last message
 *     committed in every sink, from the sinks' data), gridwire's CPU seconds over it (/proc/PID/stat);</li>
 * <li>paced: about 20 s at half that rate; latency = commit clock minus publish time (the payload's timestamp).</li>
 * </ol>
 * Peak heap in use is sampled every second through all of a family's phases.
 */
public final class TelemetryBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        List<String> names = selected(Arrays.copyOfRange(args, Math.min(2, args.length), args.length));
        String run = "bench-" + UUID.randomUUID().toString().substring(0, 6);
        List<Family> families = names.stream().map(f -> Family.of(f, run)).toList();
        Mqttload mqttload = new Mqttload(Sinks.env("MQTTLOAD", "bench/mqttload"));
        int warm = Math.min(FamilyBench.WARM_UP_MAX, n);
        System.out.printf(Locale.ROOT, "bench %s: %s; per family %d QoS 1 messages over %d devices (warm-up %d, then ~%d s "
                                       + "paced at half the measured rate); %d cores%n", run, String.join(", ", names), n, m,
                warm, FamilyBench.PACED_SECONDS, Runtime.getRuntime().availableProcessors());

        System.out.println(BrokerSessions.report());
        // a gridwire running from scripts/run.sh (its HTTP port answers) keeps its sessions; otherwise they only store
        boolean devRunning = portOpen(Integer.parseInt(Sinks.env("HTTP_PORT", "8080")));
        int removed = BrokerSessions.removeBenchSessions(!devRunning);
        System.out.printf(Locale.ROOT, "removed %d broker sessions of %s; %s%n", removed,
                devRunning ? "earlier bench runs (gridwire-bench-*)" : "earlier bench runs, tests and scripts/run.sh (gridwire*)",
                devRunning ? "a gridwire answers on HTTP_PORT, so its sessions and the tests' stay (they match none of this "
                             + "run's topics, roots with " + run + ", but the messages they store slow the broker's autosave)"
                           : "no gridwire answers on HTTP_PORT");
        for (String name : Family.ALL) {
            Family.of(name, run).cleanUp("bench-%"); // registrations earlier runs left (a killed run), PDU sockets above all
        }

        Map<String, String> env = new HashMap<>(Map.of("MQTT_CLIENTID", BrokerSessions.CLIENT_ID,
                // the bench's sessions end with its connections: nothing for a later run to trip over
                "MQTT_SESSIONEXPIRYSECONDS", "0", "LOG_LEVEL", Sinks.env("LOG_LEVEL", "INFO")));
        families.forEach(f -> env.putAll(f.gridwireEnv()));
        List<FamilyBench.Result> results = new ArrayList<>();
        try (GridwireProcess gridwire = new GridwireProcess("bench", env)) {
            gridwire.start(GridwireProcess.ROUTES_STARTED);
            for (Family f : families) {
                if (f.subscriptionRoot() != null) {
                    Family.awaitSubscribed(gridwire, f.subscriptionRoot(), f.subscriptionCount());
                }
            }
            System.out.printf(Locale.ROOT, "gridwire pid %d (-Xmx512m), log %s%n", gridwire.pid(), gridwire.log());
            System.out.println(BrokerSessions.report() + ", gridwire connected (the broker refreshes $SYS every 10 s)");
            try (HeapPeaks heap = new HeapPeaks(gridwire.pid())) {
                for (Family f : families) {
                    try {
                        results.add(new FamilyBench(f, gridwire, heap, mqttload, n, m).run());
                    } finally {
                        f.sinks().forEach(Sink::close);
                    }
                }
            }
        } finally {
            for (Family f : families) {
                f.cleanUp(run + "%");
            }
        }
        summary(results, n, m);
    }

    /** The family names from the arguments: none or "all" = every family; names may also be comma-separated. */
    private static List<String> selected(String[] args) {
        Set<String> out = new LinkedHashSet<>();
        for (String a : args) {
            for (String name : a.split(",")) {
                if (name.equals("all")) {
                    out.addAll(Family.ALL);
                } else if (!name.isBlank()) {
                    Family.of(name, "check"); // refuses an unknown name before anything runs
                    out.add(name);
                }
            }
        }
        return out.isEmpty() ? Family.ALL : List.copyOf(out);
    }

    private static void summary(List<FamilyBench.Result> results, int n, int m) {
        System.out.println();
        System.out.printf(Locale.ROOT, "summary: %d QoS 1 messages per family over %d devices; rates in msg/s; CPU = gridwire's "
                                       + "CPU seconds per 100 000 messages; latency of the paced run (broker p99: mqttload alone at that pace)%n", n, m);
        String format = "%-9s %-22s %9s %6s %9s %8s %7s %7s %7s %11s  %s%n";
        System.out.printf(Locale.ROOT, format, "family", "raw median (range)", "gridwire", "ratio", "CPU/100k", "heap MB",
                "paced", "p50 ms", "p99 ms", "broker p99", "latency clock");
        for (FamilyBench.Result r : results) {
            double[] s = r.sortedRaw();
            System.out.printf(Locale.ROOT, format, r.family(), String.format(Locale.ROOT, "%.0f (%.0f-%.0f)", r.rawMedian(), s[0], s[2]),
                    String.format(Locale.ROOT, "%.0f%s", r.rate(), r.complete() ? "" : "!"),
                    String.format(Locale.ROOT, "%.2f", r.rate() / r.rawMedian()), String.format(Locale.ROOT, "%.2f", r.cpuPer100k()),
                    String.format(Locale.ROOT, "%.0f", r.heapMb()), String.format(Locale.ROOT, "%.0f", r.pacedRate()),
                    String.format(Locale.ROOT, "%.1f", r.p50()), String.format(Locale.ROOT, "%.1f", r.p99()),
                    String.format(Locale.ROOT, "%.1f", r.brokerP99()), r.clock());
        }
        if (results.stream().anyMatch(r -> !r.complete())) {
            System.out.println("! not every message landed in every sink (see the family's lines above)");
        }
    }

    private static boolean portOpen(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("localhost", port), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
