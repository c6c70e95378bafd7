package io.gridwire.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;
import io.gridwire.support.Sinks.KafkaReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Benchmark of the seed 001 telemetry path (not a test): bench/run.sh N M.
 * 1. The broker's raw rate in this run: mqttload publishes N QoS 1 messages over M devices to a plain mqttload
 *    subscriber (no gridwire involved).
 * 2. gridwire end to end: mqttload publishes N QoS 1 readings over M devices (timestamp = publish time); the rate is first publish to the moment all N are in
 *    PostgreSQL, the TSDB and Kafka; latency is publish to the Kafka record's create time (Kafka is written last,
 *    after PostgreSQL and the TSDB committed the batch).
 */
public final class TelemetryBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String mqttload = args.length > 2 ? args[2] : "bench/mqttload";
        System.out.printf(Locale.ROOT, "bench: %d QoS 1 readings over %d devices, %d cores%n", n, m,
                Runtime.getRuntime().availableProcessors());

        double raw = rawBrokerRate(mqttload, n, m);

        String runId = "bench-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        String prefix = runId;
        try (GridwireProcess gridwire = new GridwireProcess("bench", Map.of("MQTT_CLIENTID", "gridwire-bench-" + runId, "LOG_LEVEL", env("LOG_LEVEL", "INFO")))
                .start();
             KafkaReader kafka = new KafkaReader("energy-readings")) {
            // warm-up (JIT, connections, Kafka metadata) so the figures describe the steady state
            int warm = Math.min(20000, n);
            String warmPrefix = prefix + "w";
            publish(mqttload, warmPrefix, warm, m);
            long warmDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < warmDeadline && kafka.records(warmPrefix).size() < warm) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            System.out.printf(Locale.ROOT, "warm-up: %d readings landed%n", kafka.records(warmPrefix).size());
            prefix = prefix + "m";
            long t0 = System.nanoTime();
            String published = publish(mqttload, prefix, n, m);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            long pg = 0, tsdb = 0, kafkaCount = 0;
            double pgSeen = 0, tsdbSeen = 0, kafkaSeen = 0;
            while (System.nanoTime() < deadline && (pgSeen == 0 || tsdbSeen == 0 || kafkaSeen == 0)) {
                TimeUnit.MILLISECONDS.sleep(200); // polling the sinks costs them CPU: not too often
                double now = (System.nanoTime() - t0) / 1e9;
                if (kafkaSeen == 0 && (kafkaCount = kafka.records(prefix).size()) >= n) {
                    kafkaSeen = now;
                }
                if (kafkaSeen == 0) {
                    continue; // Kafka is written last: query the databases (costly for them) only once it is complete
                }
                if (pgSeen == 0 && (pg = Sinks.count("select count(*) from device_readings where device_id like ?",
                        prefix + "%")) == n) {
                    pgSeen = now;
                }
                if (tsdbSeen == 0 && (tsdb = Sinks.points("select count() c from energy_readings where device_id like '"
                                                          + prefix + "%'").get(0).get("c").asLong()) == n) {
                    tsdbSeen = now;
                }
            }
            List<ConsumerRecord<String, String>> records = kafka.records(prefix);
            kafkaCount = records.size();
            // Kafka is written last, after PostgreSQL and the TSDB committed the batch; a record's create time is when
            // gridwire handed it to the producer. First publish = the earliest payload timestamp (set by mqttload).
            long firstPublishMs = Long.MAX_VALUE;
            long lastSentMs = 0;
            for (ConsumerRecord<String, String> r : records) {
                firstPublishMs = Math.min(firstPublishMs, payloadMillis(r));
                lastSentMs = Math.max(lastSentMs, r.timestamp());
            }
            double seconds = (lastSentMs - firstPublishMs) / 1000.0;
            double rate = n / seconds;
            long[] latencyMs = latencies(records);
            System.out.printf(Locale.ROOT, "gridwire: mqttload %s%n", published);
            System.out.printf(Locale.ROOT, "gridwire: %d readings committed in PostgreSQL and TSDB and sent to Kafka %.2f s "
                                           + "after the first publish: %.0f msg/s end to end%n", n, seconds, rate);
            System.out.printf(Locale.ROOT, "visible to readers (polled every 200 ms): PostgreSQL %d after %.1f s, Kafka %d "
                                           + "after %.1f s, TSDB %d after %.1f s (QuestDB applies its WAL asynchronously)%n",
                    pg, pgSeen, kafkaCount, kafkaSeen, tsdb, tsdbSeen);
            System.out.printf(Locale.ROOT, "ratio gridwire / raw broker: %.2f%n", rate / raw);
            System.out.printf(Locale.ROOT, "latency publish -> committed in PostgreSQL and TSDB, sent to Kafka: "
                                           + "p50 %d ms, p99 %d ms, max %d ms (%d samples)%n",
                    pct(latencyMs, 50), pct(latencyMs, 99), latencyMs.length == 0 ? 0 : latencyMs[latencyMs.length - 1],
                    latencyMs.length);
            if (pg != n || tsdb != n || kafkaCount != n) {
                System.out.println("WARNING: not every message landed exactly once within 10 minutes");
            }
        }
    }

    static double rawBrokerRate(String mqttload, int n, int m) throws IOException, InterruptedException {
        String host = env("MQTT_BROKER_HOST", "localhost");
        String port = env("MQTT_BROKER_PORT", "1883");
        ProcessBuilder sub = new ProcessBuilder(mqttload, "sub", host, port, "energy/bench-raw/+/data", String.valueOf(n), "1", "120");
        sub.environment().put("MQTTLOAD_USER", env("MQTT_USERNAME", "gridwire"));
        sub.environment().put("MQTTLOAD_PASS", env("MQTT_PASSWORD", "gridwire-dev"));
        Process s = sub.start();
        TimeUnit.SECONDS.sleep(1); // let the subscription settle before the first publish
        ProcessBuilder pub = new ProcessBuilder(mqttload, "pub", host, port, "energy/bench-raw/%s/data", String.valueOf(n), "1",
                String.valueOf(m));
        pub.environment().put("MQTTLOAD_USER", env("MQTT_DEVICE_USERNAME", "device"));
        pub.environment().put("MQTTLOAD_PASS", env("MQTT_DEVICE_PASSWORD", "device-dev"));
        Process p = pub.start();
        String pubOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        String subOut = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        s.waitFor();
        System.out.println("raw broker (mqttload): " + pubOut + " | " + subOut);
        String[] words = subOut.split("\\s+");
        return Double.parseDouble(words[words.length - 2]);
    }

    /** Publishes n seed 001 readings over m devices with mqttload (C, QoS 1, 1000 in flight), timestamps = publish time. */
    private static String publish(String mqttload, String prefix, int n, int m) throws IOException, InterruptedException {
        ProcessBuilder pub = new ProcessBuilder(mqttload, "pub", env("MQTT_BROKER_HOST", "localhost"),
                env("MQTT_BROKER_PORT", "1883"), "energy/devices/%s/data", String.valueOf(n), "1", String.valueOf(m));
        pub.environment().put("MQTTLOAD_USER", env("MQTT_DEVICE_USERNAME", "device"));
        pub.environment().put("MQTTLOAD_PASS", env("MQTT_DEVICE_PASSWORD", "device-dev"));
        pub.environment().put("MQTTLOAD_TS_NOW", "1");
        pub.environment().put("MQTTLOAD_DEVICE_PREFIX", prefix);
        pub.redirectErrorStream(true);
        Process p = pub.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("mqttload pub failed: " + out);
        }
        return out;
    }

    private static long[] latencies(List<ConsumerRecord<String, String>> records) {
        List<Long> out = new ArrayList<>(records.size());
        for (ConsumerRecord<String, String> r : records) {
            out.add(r.timestamp() - payloadMillis(r));
        }
        long[] a = out.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** The reading's timestamp, which mqttload set to its publish time. */
    private static long payloadMillis(ConsumerRecord<String, String> r) {
        String value = r.value();
        int i = value.indexOf("\"timestamp\":\"") + 13;
        return Instant.parse(value.substring(i, value.indexOf('"', i))).toEpochMilli();
    }

    private static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }
}
