package io.gridwire.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * One MQTT connection attempt that gives up after the options' connection timeout (0: never). Paho's connection
 * timeout only bounds the TCP connect: a broker that accepts the socket but never answers the CONNECT (Mosquitto while
 * it restarts) left a blocking connect waiting until the socket died, once for 95 s, and an attempt abandoned by a
 * plain timed wait stays "in progress", refusing the next one. Here a stuck attempt is torn down, so the next one
 * starts on a fresh socket.
 */
public final class BoundedConnect {

    private BoundedConnect() {
    }

    /**
     * Connects, or throws (a timeout as Paho's REASON_CODE_CLIENT_TIMEOUT) with the client ready for another try.
     *
     * @return the completed connect token (its session-present flag says whether the broker kept the session)
     */
    public static IMqttToken connect(MqttAsyncClient client, MqttConnectionOptions options) throws MqttException {
        int seconds = options.getConnectionTimeout();
        IMqttToken token = client.connect(options, null, null);
        try {
            token.waitForCompletion(seconds > 0 ? seconds * 1000L : -1L);
        } catch (MqttException e) {
            if (e.getReasonCode() == MqttClientException.REASON_CODE_CLIENT_TIMEOUT && !client.isConnected()) {
                try {
                    client.disconnectForcibly(0, 1000, false);
                } catch (MqttException ignored) {
                    // nothing more to tear down
                }
            }
            throw e;
        }
        return token;
    }
}
