package io.gridwire.mqtt;

import java.nio.charset.StandardCharsets;

import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes single messages and returns once the broker acknowledged them (QoS 1: PUBACK; QoS 2: PUBCOMP). Connects
 * on first use and again after a lost connection; a publish that fails throws.
 */
public class MqttSender implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MqttSender.class);
    /** Longest wait for the broker's acknowledgement of a publish. */
    private static final long PUBLISH_WAIT_MS = 10_000;

    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final String purpose;

    /**
     * A sender that connects when it first publishes.
     *
     * @param broker   the broker and, for TLS, its socket factory
     * @param clientId the MQTT client id (clean start: no session is kept)
     * @param purpose  what it publishes, for its log lines
     * @throws MqttException the client id or broker URI is invalid
     */
    public MqttSender(MqttBroker broker, String clientId, String user, String password, String purpose) throws MqttException {
        this.client = new MqttAsyncClient(broker.uri(), clientId, new MemoryPersistence());
        this.options = broker.applyTo(new MqttConnectionOptions());
        this.purpose = purpose;
        options.setUserName(user);
        options.setPassword(password.getBytes(StandardCharsets.UTF_8));
        options.setCleanStart(true);
        options.setConnectionTimeout(5);
    }

    public void publish(String topic, String payload, int qos) throws MqttException {
        publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos);
    }

    public synchronized void publish(String topic, byte[] payload, int qos) throws MqttException {
        if (!client.isConnected()) {
            BoundedConnect.connect(client, options);
            LOG.info("MQTT client {} connected to {} ({})", client.getClientId(), client.getServerURI(), purpose);
        }
        MqttMessage m = new MqttMessage(payload);
        m.setQos(qos);
        client.publish(topic, m).waitForCompletion(PUBLISH_WAIT_MS);
    }

    @Override
    public synchronized void close() {
        try {
            if (client.isConnected()) {
                client.disconnect(5000).waitForCompletion(PUBLISH_WAIT_MS);
            }
            client.close();
        } catch (MqttException e) {
            LOG.debug("MQTT client {} did not close cleanly: {}", client.getClientId(), e.getMessage());
        }
    }
}
