package io.gridwire.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.gridwire.support.Sinks;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * The sessions earlier runs left on the broker. Persistent sessions subscribed to a family's filters get a copy of
 * every bench message queued (and saved to disk) while they are away; the bench avoids them by giving each run its own
 * topic roots, removes those of earlier bench runs, and reports what the broker holds ($SYS, gridwire's account).
 */
public final class BrokerSessions {

    /** Client id gridwire uses in the bench (mqtt.clientId); its connections add -commands, -autocore, ... */
    public static final String CLIENT_ID = "gridwire-bench";
    /**
     * gridwire's suffixes of mqtt.clientId for the bench's instance ids (Platform.ingestClient and .sender; PDU brokers
     * add -pdu-{key}, clean sessions here).
     */
    private static final List<String> SUFFIXES = suffixes();

    private static List<String> suffixes() {
        List<String> out = new java.util.ArrayList<>();
        for (String instance : List.of("bench", "bench-1", "bench-2", "bench-3")) {
            for (String purpose : List.of("-energy", "-commands", "-events", "-autocore", "-sites", "-simulator",
                    "-events-out", "-replay", "-ems-commands")) {
                out.add("-" + instance + purpose);
            }
        }
        return out;
    }
    private static final Pattern LOGGED_BENCH_ID = Pattern.compile(" as (gridwire-bench-\\S+) \\(");
    /** Any gridwire client id in the broker's log: the tests' (gridwire-test-*) and scripts/run.sh's (gridwire*). */
    private static final Pattern LOGGED_GRIDWIRE_ID = Pattern.compile(" as (gridwire(?:-\\S+)?) \\(");

    private BrokerSessions() {
    }

    private static String uri() {
        return "tcp://" + Mqttload.HOST + ":" + Mqttload.PORT;
    }

    /**
     * $SYS/broker/clients/disconnected and $SYS/broker/store/messages/count as the broker reports them (mosquitto_sub
     * with gridwire's account; both are retained, so they arrive at once when the account may read them), or why not.
     */
    public static String report() throws IOException, InterruptedException {
        String[] topics = {"$SYS/broker/clients/disconnected", "$SYS/broker/store/messages/count"};
        Process p = new ProcessBuilder("mosquitto_sub", "-h", Mqttload.HOST, "-p", Mqttload.PORT,
                "-u", Mqttload.Account.GRIDWIRE.user(), "-P", Mqttload.Account.GRIDWIRE.password(),
                "-t", topics[0], "-t", topics[1], "-v", "-C", "2", "-W", "3").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Map<String, String> values = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.trim().split(" ", 2);
            if (kv.length == 2) {
                values.put(kv[0], kv[1]);
            }
        }
        if (values.isEmpty()) {
            return "broker sessions: $SYS not readable (the running broker's ACL lacks 'topic read $SYS/#' for "
                   + Mqttload.Account.GRIDWIRE.user() + "; restart it to load mosquitto.acl: "
                   + "scripts/services.sh stop mosquitto && scripts/services.sh start mosquitto)";
        }
        // Mosquitto publishes a $SYS value when it changes: one it has not published since it started is unknown
        return "broker: " + values.getOrDefault(topics[0], "(not published since the broker started)")
               + " disconnected persistent sessions, " + values.getOrDefault(topics[1], "(not published)")
               + " messages stored ($SYS)";
    }

    /**
     * Ends the sessions of gridwire's bench client ids and of the ids earlier bench runs used (gridwire-bench-*, read
     * from the broker's log when it is this checkout's): each is connected once without clean start but with session
     * expiry 0, so the broker says whether it still had the session (session present) and drops it at the
     * disconnect. Returns how many there were. A bench gridwire must not be running meanwhile (its connection would be
     * taken over).
     *
     * @param othersToo also end the sessions of every other gridwire client id in the broker's log (tests',
     *                  scripts/run.sh's): while no gridwire runs, their queues only fill with the tests' and bench's
     *                  messages (up to max_queued_messages each), and the broker writes all of them at every autosave,
     *                  which stalls it for as long as that takes
     */
    public static int removeBenchSessions(boolean othersToo) {
        Set<String> ids = new LinkedHashSet<>();
        SUFFIXES.forEach(s -> ids.add(CLIENT_ID + s));
        Path log = Path.of(Sinks.env("GRIDWIRE_DATA", ".gridwire-data"), "mosquitto.log");
        try {
            if (Files.isReadable(log)) {
                try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    lines.filter(l -> l.contains(" as gridwire")).forEach(l -> {
                        Matcher m = (othersToo ? LOGGED_GRIDWIRE_ID : LOGGED_BENCH_ID).matcher(l);
                        if (m.find()) {
                            ids.add(m.group(1));
                        }
                    });
                }
            }
        } catch (IOException e) {
            // no log: the fixed ids only
        }
        // one short connection per id, 16 at a time: the log of a machine that ran the tests names thousands
        java.util.concurrent.atomic.AtomicInteger removed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (String id : ids) {
                done.add(pool.submit(() -> {
                    if (endSession(id)) {
                        removed.incrementAndGet();
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while ending broker sessions", e);
        } finally {
            pool.shutdownNow();
        }
        return removed.get();
    }

    /** Connects once as {@code id} with session expiry 0; true if the broker still had a session for it. */
    private static boolean endSession(String id) {
        try {
            MqttClient c = new MqttClient(uri(), id, new MemoryPersistence());
            try {
                IMqttToken t = c.connectWithResult(options(false));
                // session expiry 0: the broker ends the session when the connection ends, with or without a
                // DISCONNECT; no quiesce (Paho's disconnect sleeps it out: minutes over hundreds of ids)
                c.disconnectForcibly(0, 1000, true);
                return t.getSessionPresent();
            } finally {
                c.close();
            }
        } catch (MqttException e) {
            throw new IllegalStateException("ending the broker session of " + id + ": " + e.getMessage(), e);
        }
    }

    private static MqttConnectionOptions options(boolean cleanStart) {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(Mqttload.Account.GRIDWIRE.user());
        o.setPassword(Mqttload.Account.GRIDWIRE.password().getBytes(StandardCharsets.UTF_8));
        o.setCleanStart(cleanStart);
        o.setSessionExpiryInterval(0L);
        o.setReceiveMaximum(1); // a resumed session's queued messages: one at a time, and we leave at once
        o.setConnectionTimeout(10);
        return o;
    }
}
