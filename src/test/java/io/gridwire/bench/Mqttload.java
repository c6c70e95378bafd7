package io.gridwire.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.gridwire.support.Sinks;

/** bench/mqttload (C, libmosquitto) as the benches run it: publishers of a family's payloads and plain subscribers. */
public final class Mqttload {

    static final String HOST = Sinks.env("MQTT_BROKER_HOST", "localhost");
    static final String PORT = Sinks.env("MQTT_BROKER_PORT", "1883");

    /** A broker account, from the same variables as gridwire and scripts/services.sh. */
    public record Account(String user, String password) {
        static final Account DEVICE = new Account(Sinks.env("MQTT_DEVICE_USERNAME", "device"),
                Sinks.env("MQTT_DEVICE_PASSWORD", "device-dev"));
        static final Account GRIDWIRE = new Account(Sinks.env("MQTT_USERNAME", "gridwire"),
                Sinks.env("MQTT_PASSWORD", "gridwire-dev"));
    }

    /** What a raw broker run measured: the subscriber's rate (and latency when paced) and both programs' lines. */
    public record Raw(double rate, long received, double p50, double p99, String publisher, String subscriber) {
    }

    private static final Pattern RECEIVED = Pattern.compile("received (\\d+) of \\d+ qos\\d in [0-9.]+ s: (\\d+) msg/s"
                                                            + "(?:; latency p50 ([0-9.]+) ms, p99 ([0-9.]+) ms)?");

    private final String path;

    public Mqttload(String path) {
        this.path = path;
    }

    /**
     * Publishes n QoS 1 messages of the format (MQTTLOAD_FORMAT) over the devices prefix00000.. on the topic format,
     * each stamped with its publish time; rate 0 = as fast as the broker acks, else paced at that many per second.
     * Returns mqttload's line once the broker acknowledged every message.
     */
    public String publish(Account account, String format, String topicFormat, String devicePrefix, int n, int devices,
                          double rate) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(path, "pub", HOST, PORT, topicFormat, String.valueOf(n), "1",
                String.valueOf(devices));
        env(pb, account);
        pb.environment().put("MQTTLOAD_FORMAT", format);
        pb.environment().put("MQTTLOAD_TS_NOW", "1");
        pb.environment().put("MQTTLOAD_DEVICE_PREFIX", devicePrefix);
        if (rate > 0) {
            pb.environment().put("MQTTLOAD_RATE", String.format(Locale.ROOT, "%.1f", rate));
        }
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int code = p.waitFor();
        if (code == REFUSED) {
            throw new Refused(out);
        }
        if (code != 0) {
            throw new IllegalStateException("mqttload pub failed: " + out);
        }
        return out;
    }

    /** mqttload's exit status when the broker refused a publish or subscription (e.g. its ACL). */
    private static final int REFUSED = 5;

    /** The broker refused a publish (reason code in the message). */
    public static final class Refused extends IllegalStateException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * The broker alone: a plain mqttload subscriber (gridwire's account, QoS 1) on the filter, then n QoS 1 messages
     * published as fast as the broker acks them (rate 0) or paced; the rate is the subscriber's, first to last message
     * received; paced, also the latency from publish to receipt.
     */
    public Raw raw(Account publisher, String format, String topicFormat, String filter, String devicePrefix, int n,
                   int devices, double rate) throws IOException, InterruptedException {
        ProcessBuilder sb = new ProcessBuilder(path, "sub", HOST, PORT, filter, String.valueOf(n), "1", "60");
        env(sb, Account.GRIDWIRE);
        if (rate > 0) {
            sb.environment().put("MQTTLOAD_LATENCY", "1");
        }
        sb.redirectErrorStream(true);
        Process sub = sb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sub.getInputStream(), StandardCharsets.UTF_8))) {
            String first = r.readLine(); // "subscribed" once the SUBACK arrived
            if (!"subscribed".equals(first)) {
                sub.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("mqttload sub on " + filter + " failed: " + first);
            }
            String pubOut = publish(publisher, format, topicFormat, devicePrefix, n, devices, rate);
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
            sub.waitFor();
            String subOut = String.join(" ", lines).trim();
            Matcher m = RECEIVED.matcher(subOut);
            if (!m.find()) {
                throw new IllegalStateException("mqttload sub on " + filter + ": " + subOut);
            }
            return new Raw(Double.parseDouble(m.group(2)), Long.parseLong(m.group(1)),
                    m.group(3) == null ? Double.NaN : Double.parseDouble(m.group(3)),
                    m.group(4) == null ? Double.NaN : Double.parseDouble(m.group(4)), pubOut, subOut);
        } finally {
            sub.destroy();
        }
    }

    /** The simulator bench's raw figure: n seed 001 readings over m devices on energy/bench-raw/+/data; prints both lines. */
    public static double rawBrokerRate(String mqttload, int n, int m) throws IOException, InterruptedException {
        Raw raw = new Mqttload(mqttload).raw(Account.DEVICE, "energy", "energy/bench-raw/%s/data", "energy/bench-raw/+/data",
                "mock-load-", n, m, 0);
        System.out.println("raw broker (mqttload): " + raw.publisher() + " | " + raw.subscriber());
        return raw.rate();
    }

    private static void env(ProcessBuilder pb, Account account) {
        Map<String, String> env = pb.environment();
        env.put("MQTTLOAD_USER", account.user());
        env.put("MQTTLOAD_PASS", account.password());
    }
}
