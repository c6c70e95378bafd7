package io.gridwire.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** A second, real Mosquitto on its own port (anonymous, no persistence) for the per-socket broker cases. */
public final class SecondBroker implements AutoCloseable {

    private final int port;
    private final Path config;
    private Process process;

    public SecondBroker() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        config = Files.createTempFile("mosquitto-second", ".conf");
        Files.writeString(config, "listener " + port + "\nallow_anonymous true\npersistence false\nlog_dest stderr\n");
        config.toFile().setReadable(true, false);
    }

    public int port() {
        return port;
    }

    public SecondBroker start() throws IOException {
        process = new ProcessBuilder("mosquitto", "-c", config.toString()).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "mosquitto-second.log").toFile()).start();
        await("second broker on :" + port).atMost(Duration.ofSeconds(20)).until(this::listening);
        return this;
    }

    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    private boolean listening() {
        try (Socket s = new Socket("localhost", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
