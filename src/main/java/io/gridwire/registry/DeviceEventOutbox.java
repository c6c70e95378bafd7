package io.gridwire.registry;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed device events (device_event_outbox) at QoS 1, oldest first, and marks each one published
 * once the broker acknowledged it. An event that cannot be published stops the round, so events of a device are
 * never reordered; the next round (timer route, or the next registry change) tries again.
 */
public class DeviceEventOutbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceEventOutbox.class);

    private final DataSource dataSource;
    private final MqttClient client;
    private final MqttConnectionOptions options;
    private volatile long lastWarningMs;

    public DeviceEventOutbox(DataSource dataSource, String serverUri, String clientId, String user, String password)
            throws MqttException {
        this.dataSource = dataSource;
        this.client = new MqttClient(serverUri, clientId, new MemoryPersistence());
        this.options = new MqttConnectionOptions();
        options.setUserName(user);
        options.setPassword(password.getBytes(StandardCharsets.UTF_8));
        options.setCleanStart(true);
        options.setConnectionTimeout(5);
        client.setTimeToWait(10_000);
    }

    /** Publishes what is pending; returns how many events went out. */
    public synchronized int publishPending() {
        int sent = 0;
        try (Connection c = dataSource.getConnection();
             PreparedStatement select = c.prepareStatement(
                     "SELECT id, topic, payload, event_type, device_id FROM device_event_outbox "
                     + "WHERE published_at IS NULL ORDER BY id LIMIT 500");
             PreparedStatement mark = c.prepareStatement("UPDATE device_event_outbox SET published_at = now() WHERE id = ?")) {
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    connect();
                    MqttMessage m = new MqttMessage(rs.getString(3).getBytes(StandardCharsets.UTF_8));
                    m.setQos(1);
                    client.publish(rs.getString(2), m);
                    mark.setLong(1, rs.getLong(1));
                    mark.executeUpdate();
                    sent++;
                    LOG.info("Published device event: {} for device {}", rs.getString(4), rs.getString(5));
                }
            }
        } catch (SQLException | MqttException e) {
            long now = System.currentTimeMillis();
            if (now - lastWarningMs > 10_000) {
                lastWarningMs = now;
                LOG.warn("Device events wait in the outbox: {} (retried every few seconds)", e.getMessage());
            }
        }
        return sent;
    }

    private void connect() throws MqttException {
        if (!client.isConnected()) {
            client.connect(options);
            LOG.info("MQTT client {} connected to {} (publishing device events)", client.getClientId(), client.getServerURI());
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (client.isConnected()) {
                client.disconnect(5000);
            }
            client.close();
        } catch (MqttException e) {
            LOG.debug("MQTT client {} did not close cleanly: {}", client.getClientId(), e.getMessage());
        }
    }
}
