package io.gridwire.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * Benchmark of the mock device simulator (not a test): bench/run.sh simulator D S.
 * D mock devices (inserted into mock_devices) publish a reading each per second from one gridwire JVM capped at
 * -Xmx512m; a plain mqttload subscriber counts what reaches the broker over S seconds. gridwire's own ingest is
 * switched off for this run (route filter), so the figure is the simulator's, not the ingest pipeline's. Prints the
 * broker's raw rate measured in the same run, the simulator's delivered rate, and the JVM's heap (peak used, and
 * live after a full GC).
 */
public final class SimulatorBench {

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        String mqttload = args.length > 2 ? args[2] : "bench/mqttload";
        System.out.printf(Locale.ROOT, "bench: %d mock devices x 1 reading/s for %d s, one JVM -Xmx512m, %d cores%n", devices,
                seconds, Runtime.getRuntime().availableProcessors());
        double raw = Mqttload.rawBrokerRate(mqttload, 50_000, 100);

        String prefix = "bench-sim-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        long inserted = Sinks.count("WITH ins AS (INSERT INTO mock_devices (id, name, type, location, base_power, base_voltage) "
                                    + "SELECT ? || lpad(g::text, 5, '0'), 'Bench ' || g, 'meter', 'bench', 5.0, 240.0 "
                                    + "FROM generate_series(1, ?) g RETURNING 1) SELECT count(*) FROM ins", prefix, devices);
        System.out.printf(Locale.ROOT, "inserted %d mock devices %s*%n", inserted, prefix);
        try (GridwireProcess gridwire = new GridwireProcess("bench-simulator", Map.of("SIMULATOR_ENABLED", "true",
                "SIMULATOR_INTERVAL", "1000", "SIMULATOR_FAILURERATE", "0",
                // the simulator alone: gridwire's ingest of the readings is measured by the telemetry bench
                "CAMEL_MAIN_ROUTEFILTEREXCLUDEPATTERN", "energy-telemetry-ingest"))) {
            gridwire.start(GridwireProcess.ROUTES_STARTED);
            TimeUnit.SECONDS.sleep(5); // warm-up: JIT, connections, first ticks
            HeapSampler heap = new HeapSampler(gridwire.pid());
            heap.start();
            // every mock device's readings (the bench devices and the defaults, 5/s more)
            ProcessBuilder sub = new ProcessBuilder(mqttload, "sub", Sinks.env("MQTT_BROKER_HOST", "localhost"),
                    Sinks.env("MQTT_BROKER_PORT", "1883"), "energy/devices/+/data",
                    String.valueOf((long) devices * seconds), "0", String.valueOf(seconds));
            sub.environment().put("MQTTLOAD_USER", Sinks.env("MQTT_USERNAME", "gridwire"));
            sub.environment().put("MQTTLOAD_PASS", Sinks.env("MQTT_PASSWORD", "gridwire-dev"));
            Process s = sub.start();
            String out = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            s.waitFor();
            heap.stopSampling();
            JsonNode status = new Api(gridwire.httpPort()).get("/api/v1/simulation/status").json();
            String live = jcmd(gridwire.pid(), "GC.run") + jcmd(gridwire.pid(), "GC.heap_info");
            Matcher used = Pattern.compile("used (\\d+)K").matcher(live);
            long liveKb = used.find() ? Long.parseLong(used.group(1)) : -1;
            double rate = Double.parseDouble(out.split("\\s+")[out.split("\\s+").length - 2]);
            System.out.println("simulator (mqttload sub, all energy/devices/+/data): " + out);
            System.out.printf(Locale.ROOT, "simulator: %.0f readings/s delivered to the broker for %d devices (target %d/s), "
                                           + "ratio to raw broker rate %.2f%n", rate, devices, devices, rate / raw);
            System.out.printf(Locale.ROOT, "simulator status: %s ticks, %s readings generated, last tick %s%n",
                    status.get("ticks"), status.get("readings_generated"), status.get("last_tick_at"));
            System.out.printf(Locale.ROOT, "heap (-Xmx512m): peak used %d MB (sampled every second, includes garbage), "
                                           + "live after full GC %d MB%n", heap.peakKb / 1024, liveKb / 1024);
        } finally {
            long removed = Sinks.count("WITH del AS (DELETE FROM mock_devices WHERE id LIKE ? RETURNING 1) "
                                       + "SELECT count(*) FROM del", prefix + "%");
            System.out.printf(Locale.ROOT, "removed %d bench devices%n", removed);
        }
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        String jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(jcmd, String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** Samples the heap in use (jcmd GC.heap_info) once a second. */
    private static final class HeapSampler extends Thread {
        private final long pid;
        private volatile boolean running = true;
        volatile long peakKb;

        HeapSampler(long pid) {
            this.pid = pid;
            setDaemon(true);
        }

        @Override
        public void run() {
            Pattern used = Pattern.compile("used (\\d+)K");
            while (running) {
                try {
                    Matcher m = used.matcher(jcmd(pid, "GC.heap_info"));
                    if (m.find()) {
                        peakKb = Math.max(peakKb, Long.parseLong(m.group(1)));
                    }
                    TimeUnit.SECONDS.sleep(1);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        }

        void stopSampling() {
            running = false;
        }
    }
}
