package io.gridwire.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;

/** A real MQTT subscriber (gridwire's account, which may read everything) collecting what arrives on a filter. */
public final class Listener implements AutoCloseable {

    /** One message received. */
    public record Received(String topic, String payload, int qos) {
    }

    private final MqttClient client;
    private final List<Received> received = new ArrayList<>();

    public Listener(String filter, int qos) throws MqttException {
        String host = Sinks.env("MQTT_BROKER_HOST", "localhost");
        String port = Sinks.env("MQTT_BROKER_PORT", "1883");
        client = new MqttClient("tcp://" + host + ":" + port, "test-listener-" + UUID.randomUUID(), new MemoryPersistence());
        client.setCallback(new io.gridwire.mqtt.MqttCallbackAdapter() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                synchronized (received) {
                    received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8), message.getQos()));
                }
            }
        });
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(Sinks.env("MQTT_USERNAME", "gridwire"));
        o.setPassword(Sinks.env("MQTT_PASSWORD", "gridwire-dev").getBytes(StandardCharsets.UTF_8));
        o.setCleanStart(true);
        client.connect(o);
        client.subscribe(filter, qos);
    }

    public List<Received> received() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    @Override
    public void close() throws MqttException {
        client.disconnect();
        client.close();
    }
}
