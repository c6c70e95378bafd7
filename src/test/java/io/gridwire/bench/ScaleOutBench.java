package io.gridwire.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * Benchmark of several gridwire instances in one MQTT shared subscription group (not a test): bench/run.sh instances
 * [N messages, default 40000] [M devices, default 100] [K most instances, default 3]. For 1, 2, ... K instances on this
 * machine (each -Xmx512m, energy family, topic root of its own): the broker's raw QoS 1 rate, a warm-up, then a burst
 * of N messages; end-to-end rate = N / (first publish to the last message committed in every sink) and the CPU seconds
 * of all instances together per 100 000 messages. The box is shared by the broker, the sinks and every instance, so
 * the figures say what this machine does, not how far more machines would scale.
 */
public final class ScaleOutBench {

    private record Row(int instances, double raw, double rate, double cpuPer100k, boolean complete) {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 40000;
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int most = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String run = "bench-" + UUID.randomUUID().toString().substring(0, 6);
        Mqttload mqttload = new Mqttload(Sinks.env("MQTTLOAD", "bench/mqttload"));
        System.out.printf(Locale.ROOT, "bench %s: 1 to %d gridwire instances in one shared group, energy family, %d QoS 1 "
                                       + "messages over %d devices per step; %d cores%n", run, most, n, m,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "removed %d broker sessions of earlier bench runs%n", BrokerSessions.removeBenchSessions(false));
        List<Row> rows = new ArrayList<>();
        for (int k = 1; k <= most; k++) {
            rows.add(step(run, k, n, m, mqttload));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "summary: energy family, %d QoS 1 messages over %d devices; rates in msg/s; CPU = all "
                                       + "instances' CPU seconds per 100 000 messages%n", n, m);
        String format = "%-9s %9s %9s %6s %9s%n";
        System.out.printf(Locale.ROOT, format, "instances", "raw", "gridwire", "ratio", "CPU/100k");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, format, r.instances(), String.format(Locale.ROOT, "%.0f", r.raw()),
                    String.format(Locale.ROOT, "%.0f%s", r.rate(), r.complete() ? "" : "!"),
                    String.format(Locale.ROOT, "%.2f", r.rate() / r.raw()), String.format(Locale.ROOT, "%.2f", r.cpuPer100k()));
        }
    }

    private static Row step(String run, int k, int n, int m, Mqttload mqttload) throws Exception {
        Family f = Family.of("energy", run + "-" + k);
        Map<String, String> env = new HashMap<>(f.gridwireEnv());
        // the bench's sessions end with its connections: nothing for a later run to trip over
        env.put("MQTT_SHAREDSESSIONEXPIRYSECONDS", "0");
        env.put("LOG_LEVEL", Sinks.env("LOG_LEVEL", "INFO"));
        List<GridwireProcess> members = new ArrayList<>();
        System.out.println();
        System.out.printf("== %d instance(s): %s%n", k, f.describe());
        try {
            for (int i = 1; i <= k; i++) {
                GridwireProcess g = GridwireProcess.member(run + "-" + k, "bench-" + i, env);
                g.env("MQTT_CLIENTID", BrokerSessions.CLIENT_ID);
                g.start(GridwireProcess.ROUTES_STARTED);
                Family.awaitSubscribed(g, f.subscriptionRoot(), f.subscriptionCount());
                members.add(g);
            }
            String filter = f.rawTopic().replace("%s", "+");
            Mqttload.Raw raw = mqttload.raw(f.publisher(), f.format(), f.rawTopic(), filter, f.devicePrefix, n, m, 0);
            System.out.printf(Locale.ROOT, "raw broker: %s | %s%n", raw.publisher(), raw.subscriber());
            int warm = Math.min(FamilyBench.WARM_UP_MAX, n);
            Sink.Phase warmUp = FamilyBench.begin(f, f.devices(m), "warm-up", warm);
            mqttload.publish(f.publisher(), f.format(), f.topic(), f.devicePrefix, warm, m, 0);
            System.out.printf(Locale.ROOT, "warm-up: %d messages, complete %s%n", warm, Landing.await(f, warmUp).read().complete());
            Sink.Phase burst = FamilyBench.begin(f, f.devices(m), "burst", n);
            double cpuBefore = cpu(members);
            String published = mqttload.publish(f.publisher(), f.format(), f.topic(), f.devicePrefix, n, m, 0);
            Landing landed = Landing.await(f, burst);
            double cpu = cpu(members) - cpuBefore;
            landed.read();
            System.out.println("burst: mqttload " + published);
            landed.sinkLines().forEach(l -> System.out.println("  " + l));
            System.out.printf(Locale.ROOT, "end to end: %d messages in every sink %.2f s after the first publish: %.0f msg/s; "
                                           + "CPU of the %d instance(s) %.2f s = %.2f CPU-s per 100 000%n", n, landed.seconds(),
                    landed.rate(), k, cpu, cpu / n * 100_000);
            for (GridwireProcess g : members) {
                System.out.println("  " + g.name() + ": " + g.get("/observe/metrics").lines()
                        .filter(l -> l.startsWith("gridwire_ingest_messages_total") && l.contains("energy-telemetry-ingest")
                                     && l.contains("committed")).findFirst().orElse("(no ingest counter)"));
            }
            return new Row(k, raw.rate(), landed.rate(), cpu / n * 100_000, landed.complete());
        } finally {
            for (GridwireProcess g : members) {
                g.stop();
            }
            f.sinks().forEach(Sink::close);
            f.cleanUp(run + "%");
        }
    }


    private static double cpu(List<GridwireProcess> members) {
        double s = 0;
        for (GridwireProcess g : members) {
            s += CpuTimes.process(g.pid());
        }
        return s;
    }
}
