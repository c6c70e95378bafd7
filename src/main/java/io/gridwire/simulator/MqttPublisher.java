package io.gridwire.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes batches of messages over one asynchronous MQTT connection, many in flight at once (bounded), and
 * waits until the broker acknowledged the whole batch: 10 000 readings a second need no timer and no thread per
 * device. Connects in the background and reconnects on its own; while the broker is unreachable a batch is
 * dropped (as a real device without a buffer would) and that is logged.
 */
public class MqttPublisher implements Publisher, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MqttPublisher.class);

    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final int qos;
    private final Semaphore inflight;
    private final int maxInflight;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile long lastDropWarningMs;
    private volatile boolean closed;

    /**
     * The simulator's publisher (connected by {@link #start()}).
     *
     * @param broker      the broker and, for TLS, its socket factory
     * @param clientId    the MQTT client id (clean start)
     * @param qos         QoS of the mock readings
     * @param maxInflight publishes awaiting the broker's ack at most; beyond that a reading is dropped and counted
     * @throws MqttException the client id or broker URI is invalid
     */
    public MqttPublisher(io.gridwire.mqtt.MqttBroker broker, String clientId, String user, String password, int qos, int maxInflight)
            throws MqttException {
        this.client = new MqttAsyncClient(broker.uri(), clientId, new MemoryPersistence());
        this.options = broker.applyTo(new MqttConnectionOptions());
        options.setUserName(user);
        options.setPassword(password.getBytes(StandardCharsets.UTF_8));
        options.setCleanStart(true);
        options.setConnectionTimeout(10);
        // reconnects are ours (Paho's automatic backoff is shared by every client in the JVM)
        options.setAutomaticReconnect(false);
        this.qos = qos;
        this.maxInflight = maxInflight;
        this.inflight = new Semaphore(maxInflight);
    }

    /** Connects in the background, retrying every few seconds until the broker answers; again after a lost connection. */
    public void start() {
        client.setCallback(new io.gridwire.mqtt.MqttCallbackAdapter() {
            @Override
            public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) {
                LOG.warn("MQTT client {} lost its connection to {}; reconnecting", client.getClientId(), client.getServerURI());
                if (!closed) {
                    connectInBackground();
                }
            }
        });
        connectInBackground();
    }

    private synchronized void connectInBackground() {
        Thread t = new Thread(() -> {
            while (!closed && !client.isConnected()) {
                try {
                    io.gridwire.mqtt.BoundedConnect.connect(client, options);
                    LOG.info("MQTT client {} connected to {} (publishing mock device messages)", client.getClientId(),
                            client.getServerURI());
                } catch (MqttException e) {
                    LOG.warn("MQTT client {} cannot connect to {}: {}; retrying", client.getClientId(),
                            client.getServerURI(), io.gridwire.mqtt.MqttBroker.connectFailure(e));
                    sleep(2000);
                }
            }
        }, "mqtt-connect-" + client.getClientId());
        t.setDaemon(true);
        t.start();
    }

    public boolean connected() {
        return client.isConnected();
    }

    public long publishedCount() {
        return published.get();
    }

    public long droppedCount() {
        return dropped.get();
    }

    @Override
    public int publish(List<Publication> messages) {
        if (messages.isEmpty()) {
            return 0;
        }
        if (!client.isConnected()) {
            drop(messages.size(), "not connected to the broker");
            return 0;
        }
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        MqttActionListener done = new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                ok.incrementAndGet();
                inflight.release();
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
                failed.incrementAndGet();
                inflight.release();
            }
        };
        int sent = 0;
        try {
            for (Publication m : messages) {
                if (!inflight.tryAcquire(30, TimeUnit.SECONDS)) {
                    break;
                }
                MqttMessage msg = new MqttMessage(m.payload().getBytes(StandardCharsets.UTF_8));
                msg.setQos(qos);
                if (!send(m.topic(), msg, done)) {
                    inflight.release();
                    break;
                }
                sent++;
            }
            // the whole batch acknowledged (or failed) before the next tick
            if (inflight.tryAcquire(maxInflight, 30, TimeUnit.SECONDS)) {
                inflight.release(maxInflight);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int unsent = messages.size() - ok.get();
        if (unsent > 0) {
            drop(unsent, failed.get() > 0 || sent < messages.size() ? "the broker connection failed" : "no acknowledgement in 30 s");
        }
        published.addAndGet(ok.get());
        return ok.get();
    }

    /** Publishes, waiting out "too many publishes in progress" (the broker's receive maximum); false if it fails. */
    private boolean send(String topic, MqttMessage msg, MqttActionListener done) throws InterruptedException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            try {
                client.publish(topic, msg, null, done);
                return true;
            } catch (MqttException e) {
                if (e.getReasonCode() != org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_MAX_INFLIGHT) {
                    return false;
                }
                Thread.sleep(1);
            }
        }
        return false;
    }

    private void drop(int count, String why) {
        dropped.addAndGet(count);
        long now = System.currentTimeMillis();
        if (now - lastDropWarningMs > 10_000) {
            lastDropWarningMs = now;
            LOG.warn("Mock devices: {} message(s) not sent, {} (MQTT client {}, {} dropped so far)", count, why,
                    client.getClientId(), dropped.get());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (client.isConnected()) {
                client.disconnect(5000).waitForCompletion(5000);
            }
            client.close();
        } catch (MqttException e) {
            LOG.debug("MQTT client {} did not close cleanly: {}", client.getClientId(), e.getMessage());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
