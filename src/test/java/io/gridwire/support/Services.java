package io.gridwire.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    private static void run(String command, String service) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "scripts/services.sh", command, service)
                .directory(GridwireProcess.repoRoot()).redirectErrorStream(true).start();
        if (!p.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("services.sh " + command + " " + service + " timed out");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException("services.sh " + command + " " + service + " failed: " + out);
        }
    }
}
