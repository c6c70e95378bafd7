package io.gridwire;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import io.gridwire.support.Quiet;
import io.gridwire.support.Devices;
import io.gridwire.support.Listener;
import io.gridwire.support.Sinks;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The broker as configured by mosquitto.conf / mosquitto.acl: no anonymous clients, devices only on their families. */
class BrokerSecurityIT {

    private static final String URI = "tcp://" + Sinks.env("MQTT_BROKER_HOST", "localhost") + ":"
                                      + Sinks.env("MQTT_BROKER_PORT", "1883");

    private static void connect(String user, String password) throws MqttException {
        MqttClient c = new MqttClient(URI, "test-sec-" + UUID.randomUUID(), new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        if (user != null) {
            o.setUserName(user);
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
        o.setConnectionTimeout(5);
        try {
            c.connect(o);
            c.disconnect();
        } finally {
            c.close();
        }
    }

    @Test
    void anonymousAndWrongPasswordsAreRefused() {
        MqttException anonymous = assertThrows(MqttException.class, () -> connect(null, null));
        assertTrue(anonymous.getReasonCode() == 0x86 || anonymous.getReasonCode() == 0x87 || anonymous.getReasonCode() == 5,
                "not authorized: " + anonymous);
        assertThrows(MqttException.class, () -> connect(Sinks.env("MQTT_DEVICE_USERNAME", "device"), "wrong-password"));
    }

    @Test
    void aDeviceCannotPublishOutsideItsTopicFamilies() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        try (Listener outside = new Listener("gridwire-internal/" + id + "/#", 1);
             Listener inside = new Listener("energy/devices/sec-" + id + "/status", 1);
             Devices device = new Devices()) {
            try {
                device.publish("gridwire-internal/" + id + "/x", "{\"hostile\":true}");
            } catch (MqttException refused) {
                // MQTT 5: the broker may answer the QoS 1 publish with 'not authorized'
            }
            device.publish("energy/devices/sec-" + id + "/status", "{\"status\":\"online\"}");
            await().atMost(Duration.ofSeconds(10)).until(() -> !inside.received().isEmpty());
            Quiet.stays("a device publish outside energy/, autocore/, sites/ is dropped", () -> outside.received().isEmpty(),
                    true, Duration.ofSeconds(1));
        }
    }
}
