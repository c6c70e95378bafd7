package io.gridwire.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * gridwire as its own JVM, started from the test class path with the real configuration plus environment
 * overrides, the way a user runs it: so a test can stop it (SIGTERM), kill it and start it again.
 */
public final class GridwireProcess implements AutoCloseable {

    private final String name;
    private final Map<String, String> env = new HashMap<>();
    private final Path log;
    private final int httpPort;
    private Process process;
    private int starts;
    /** Processes of one cluster run together; null: this one runs alone (starting it stops every other). */
    private String cluster;

    public GridwireProcess(String name, Map<String, String> overrides) {
        this.name = name;
        this.httpPort = freePort();
        this.log = Path.of("target", "gridwire-" + name + ".log");
        env.put("HTTP_PORT", String.valueOf(httpPort));
        env.put("DB_URL", TestRun.databaseUrl());
        // the run's own analytics consumer group (TestRun): a gridwire elsewhere on the machine (a dev instance) in the
        // default group would take partitions, and with them records of this run, into its own database
        if (TestRun.ownsDatabase()) {
            env.put("SITES_ANALYTICS_GROUPID", TestRun.analyticsGroup());
        }
        // each run its own MQTT session (kept across stop/start of this process), short-lived so abandoned
        // sessions don't pile up on the broker, nor queue other runs' traffic for this one
        env.put("MQTT_CLIENTID", "gridwire-test-" + name + "-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        env.put("MQTT_SESSIONEXPIRYSECONDS", "600");
        // the instance id goes into the client ids after MQTT_CLIENTID: gridwire-test-...-{name}-energy
        env.put("GRIDWIRE_INSTANCE_ID", name);
        env.put("SIMULATOR_ENABLED", "false");
        // tests write readings hours or days old: the hourly retention run must not take them
        env.put("AUTOCORE_RETENTION_DAYS", "36500");
        // the console has its own port; HawtioConsoleIT turns it on
        env.put("HAWTIO_ENABLED", "false");
        env.putAll(overrides);
    }

    public int httpPort() {
        return httpPort;
    }

    /** gridwire with the mock device simulation running (a round every intervalMs, no random failures) plus extras. */
    public static GridwireProcess simulating(String name, int intervalMs, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("SIMULATOR_ENABLED", "true",
                "SIMULATOR_INTERVAL", String.valueOf(intervalMs), "SIMULATOR_FAILURERATE", "0"));
        env.putAll(extra);
        return new GridwireProcess(name, env);
    }

    /**
     * A member of cluster {@code group}: the members run together (starting one stops only gridwires of other clusters
     * or none), sharing MQTT subscriptions in the group and one leader election.
     */
    public static GridwireProcess member(String group, String name, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("MQTT_SHARED_GROUP", group));
        env.putAll(extra);
        GridwireProcess p = new GridwireProcess(name, env);
        p.cluster = group;
        // one MQTT_CLIENTID for the cluster (the members differ in their instance ids)
        p.env.put("MQTT_CLIENTID", "gridwire-test-" + group);
        return p;
    }

    /** Sets one more environment variable for the next start. */
    public GridwireProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Whether this gridwire's JVM is running. */
    public boolean running() {
        return process != null && process.isAlive();
    }

    /** The name this process was given (its log is target/gridwire-{name}.log). */
    public String name() {
        return name;
    }

    /** The running JVM's process id. */
    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Starts gridwire and waits until its MQTT subscription is in place and every route (REST too) started. */
    public GridwireProcess start() throws IOException {
        return cluster == null ? start(SUBSCRIBED, ROUTES_STARTED)
                : start(" subscribed to $share/" + cluster + "/energy/devices/+/data (QoS 1)", ROUTES_STARTED);
    }

    /** Starts gridwire and waits until its log (of this start) shows every one of the lines. */
    public GridwireProcess start(String... readyLines) throws IOException {
        // two gridwires would both consume every family's topics and write the same database: stop any other first
        // (a class that failed before closing its own, or the shared one before a class with its own)
        stopOthers();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "io.gridwire.GridwireApplication"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        long offset = starts == 0 || !Files.exists(log) ? 0 : Files.size(log);
        pb.redirectOutput(starts++ == 0 ? ProcessBuilder.Redirect.to(log.toFile())
                : ProcessBuilder.Redirect.appendTo(log.toFile()));
        // ready once the broker confirmed the ingest subscription (the route starts before that)
        process = pb.start();
        Process p = process;
        LIVE.add(this);
        TestRun.stopAtExit();
        try {
            await("gridwire " + name + " started (see " + log + ")").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("gridwire exited with " + p.exitValue() + ", see " + log);
                        }
                        for (String line : readyLines) {
                            if (!logged(line, offset)) {
                                return false;
                            }
                        }
                        return true;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            threadDump(p);
            throw e;
        }
        return this;
    }

    /** Appends the JVM's threads to its log (jcmd Thread.print): what a start that never got ready waits for. */
    private void threadDump(Process p) {
        try {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            Process dump = new ProcessBuilder(jcmd, String.valueOf(p.pid()), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            dump.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | InterruptedException ignored) {
            // the dump is a diagnostic only
        }
    }

    private boolean logged(String line, long offset) throws IOException {
        String text = Files.readString(log);
        return text.indexOf(line, (int) Math.min(offset, text.length())) >= 0;
    }

    /** The log line DeferredConnectMqttClient writes when the SUBACK arrived. */
    public static final String SUBSCRIBED = " subscribed to energy/devices/+/data (QoS 1)";

    /** The route controller's summary after the first round of route starts. */
    public static final String ROUTES_STARTED = "Routes startup (total:";

    /** SIGTERM, then waits for the graceful shutdown to finish; returns the exit code. */
    public int stop() throws InterruptedException {
        LIVE.remove(this);
        if (process == null) {
            return 0;
        }
        process.destroy();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        int code = process.exitValue();
        process = null;
        return code;
    }

    /** SIGKILL: no shutdown at all. */
    public void kill() throws InterruptedException {
        LIVE.remove(this);
        if (process != null) {
            process.destroyForcibly().waitFor();
            process = null;
        }
    }

    /** The gridwire processes started and not stopped (at most one after each start). */
    private static final java.util.Set<GridwireProcess> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void stopOthers() {
        for (GridwireProcess other : List.copyOf(LIVE)) {
            if (other != this && (cluster == null || !cluster.equals(other.cluster))) {
                System.err.println("stopping gridwire " + other.name + " before starting " + name + " (one gridwire at a time)");
                try {
                    other.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Stops every gridwire still running (SIGTERM, graceful): at the end of the run. */
    static void stopAll() {
        for (GridwireProcess p : List.copyOf(LIVE)) {
            try {
                p.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static File repoRoot() {
        return new File(System.getProperty("user.dir"));
    }
}
