package io.gridwire.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.gridwire.support.Sinks;

/**
 * A broker that accepts the TCP connection but never answers the CONNECT (what Mosquitto can do while it restarts):
 * the connection attempt is abandoned after the connect timeout and the next one, through to the real Mosquitto,
 * succeeds. Without the bound, Paho's blocking connect waited until the socket died (once 95 s in CI).
 */
class SilentBrokerIT {

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the bound, the connect never returns
    void aConnectAttemptTheBrokerNeverAnswersIsAbandonedAndRetried() throws Exception {
        String host = Sinks.env("MQTT_BROKER_HOST", "localhost");
        int port = Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883"));
        try (FirstConnectionSilentProxy proxy = new FirstConnectionSilentProxy(host, port)) {
            MqttConnectionOptions o = new MqttConnectionOptions();
            o.setUserName(Sinks.env("MQTT_USERNAME", "gridwire"));
            o.setPassword(Sinks.env("MQTT_PASSWORD", "gridwire-dev").getBytes(StandardCharsets.UTF_8));
            o.setConnectionTimeout(1);
            DeferredConnectMqttClient client = new DeferredConnectMqttClient("tcp://localhost:" + proxy.port(),
                    "test-silent-" + UUID.randomUUID(), o, 1);
            try {
                long start = System.nanoTime();
                client.setCallback(new MqttCallbackAdapter() { });
                await().atMost(Duration.ofSeconds(15)).until(client::isConnected);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("silent broker: connected after %.1f s, %d connection(s) accepted%n", seconds,
                        proxy.accepted.get());
                assertTrue(proxy.accepted.get() >= 2, "the silent attempt was abandoned and another made");
                assertTrue(String.valueOf(client.lastError()).startsWith("cannot connect"), client.lastError());
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSenderWhoseConnectWasNeverAnsweredConnectsOnItsNextPublish() throws Exception {
        String host = Sinks.env("MQTT_BROKER_HOST", "localhost");
        int port = Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883"));
        try (FirstConnectionSilentProxy proxy = new FirstConnectionSilentProxy(host, port);
             MqttSender sender = new MqttSender(io.gridwire.mqtt.MqttBroker.plain("localhost", proxy.port()), "test-silent-sender-" + UUID.randomUUID(),
                     Sinks.env("MQTT_USERNAME", "gridwire"), Sinks.env("MQTT_PASSWORD", "gridwire-dev"), "test")) {
            String topic = "test/silent/" + UUID.randomUUID();
            MqttException first = assertThrows(MqttException.class, () -> sender.publish(topic, "1", 1));
            System.out.printf("silent broker, sender: first publish failed: %s%n", first.getMessage());
            // before, the abandoned attempt stayed "in progress" and every later publish failed with it
            sender.publish(topic, "2", 1); // returns on the real broker's PUBACK
            assertEquals(2, proxy.accepted.get());
        }
    }

    /** Holds the first accepted connection open without a byte in either direction; pipes later ones to the broker. */
    private static final class FirstConnectionSilentProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0);
        private final AtomicInteger accepted = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        FirstConnectionSilentProxy(String brokerHost, int brokerPort) throws IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        sockets.add(in);
                        if (accepted.incrementAndGet() == 1) {
                            continue; // silent: never read, never answer
                        }
                        Socket out = new Socket(brokerHost, brokerPort);
                        sockets.add(out);
                        pipe(in.getInputStream(), out.getOutputStream());
                        pipe(out.getInputStream(), in.getOutputStream());
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-proxy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pipe(InputStream from, OutputStream to) {
            Thread t = new Thread(() -> {
                try {
                    from.transferTo(to);
                } catch (IOException e) {
                    // a side closed
                }
            }, "silent-proxy-pipe");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
