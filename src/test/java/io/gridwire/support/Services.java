package io.gridwire.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stops and starts the real local services through scripts/services.sh, as an operator would. */
public final class Services {

    private Services() {
    }

    public static void stop(String service) throws IOException, InterruptedException {
        run("stop", service);
    }

    public static void start(String service) throws IOException, InterruptedException {
        run("start", service);
    }

    /** Starts every local service that is not running (scripts/services.sh start). */
    public static void startAll() throws IOException, InterruptedException {
        run("start", null);
    }

    private static void run(String command, String service) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", "scripts/services.sh", command));
        if (service != null) {
            cmd.add(service);
        }
        Process p = new ProcessBuilder(cmd)
                .directory(GridwireProcess.repoRoot()).redirectErrorStream(true).start();
        if (!p.waitFor(Duration.ofMinutes(service == null ? 10 : 2).toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("services.sh " + String.join(" ", cmd.subList(2, cmd.size())) + " timed out");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException("services.sh " + String.join(" ", cmd.subList(2, cmd.size())) + " failed: " + out);
        }
    }
}
