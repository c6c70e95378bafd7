package io.gridwire.deviceevents;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import javax.sql.DataSource;

import io.gridwire.mqtt.MqttSender;

import org.eclipse.paho.mqttv5.common.MqttException;
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
    private final MqttSender mqtt;
    private volatile long lastWarningMs;

    /** @param mqtt the connection events are published over (closed with the outbox) */
    public DeviceEventOutbox(DataSource dataSource, MqttSender mqtt) {
        this.dataSource = dataSource;
        this.mqtt = mqtt;
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
                    mqtt.publish(rs.getString(2), rs.getString(3), 1);
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

    @Override
    public void close() {
        mqtt.close();
    }
}
