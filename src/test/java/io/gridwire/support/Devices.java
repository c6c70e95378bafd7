package io.gridwire.support;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;

/** A real MQTT device client (the device account of scripts/services.sh) publishing seed 001 payloads. */
public final class Devices implements AutoCloseable {

    private final MqttClient client;
    private int qos = 1;

    public Devices() throws MqttException {
        this(Sinks.env("MQTT_BROKER_HOST", "localhost"), Integer.parseInt(Sinks.env("MQTT_BROKER_PORT", "1883")),
                Sinks.env("MQTT_DEVICE_USERNAME", "device"), Sinks.env("MQTT_DEVICE_PASSWORD", "device-dev"));
    }

    /** A client of any broker and account (user null: anonymous). */
    public Devices(String host, int port, String user, String password) throws MqttException {
        this("tcp://" + host + ":" + port, new MqttConnectionOptions(), user, password);
    }

    /** A device connecting over TLS ({@code ssl://localhost:port}) with the given socket factory (its CAs and certificate). */
    public static Devices tls(int port, String user, String password, javax.net.ssl.SSLSocketFactory tls) throws MqttException {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setSocketFactory(tls);
        return new Devices("ssl://localhost:" + port, o, user, password);
    }

    private Devices(String uri, MqttConnectionOptions o, String user, String password) throws MqttException {
        client = new MqttClient(uri, "test-device-" + UUID.randomUUID(), new MemoryPersistence());
        if (user != null) {
            o.setUserName(user);
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
        o.setCleanStart(true);
        o.setAutomaticReconnect(true);
        // a device comes back within seconds of its broker (Paho's default backoff grows to 2 minutes)
        o.setAutomaticReconnectDelay(1, 2);
        client.connect(o);
    }

    /** Publishes at this QoS from now on (1 unless set). */
    public Devices qos(int qos) {
        this.qos = qos;
        return this;
    }

    /** A unique device id prefix for one test, so tests never see each other's data. */
    public static String uniquePrefix(String test) {
        return "t-" + test + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    }

    public static String reading(String deviceId, Instant ts, double power, double voltage, double current, double energy) {
        return String.format(Locale.ROOT, "{\"device_id\":\"%s\",\"timestamp\":\"%s\",\"power\":%s,\"voltage\":%s,"
                                          + "\"current\":%s,\"energy\":%s,\"status\":\"online\",\"enabled\":true}",
                deviceId, ts, power, voltage, current, energy);
    }

    public void publish(String topic, String payload) throws MqttException {
        publish(topic, payload.getBytes(StandardCharsets.UTF_8));
    }

    public void publish(String topic, byte[] payload) throws MqttException {
        MqttMessage m = new MqttMessage(payload);
        m.setQos(qos);
        client.publish(topic, m);
    }

    /** Publishes a retained message (the broker keeps it and sends it to every new subscription). */
    public void publishRetained(String topic, String payload) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        m.setRetained(true);
        client.publish(topic, m);
    }

    public void publishReading(String deviceId, Instant ts, double power, double voltage, double current, double energy)
            throws MqttException {
        publish("energy/devices/" + deviceId + "/data", reading(deviceId, ts, power, voltage, current, energy));
    }

    @Override
    public void close() throws MqttException {
        // a broker restart in the test may have dropped the connection already
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }
}
