package io.gridwire.sites;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gridwire.sink.OutboxRecord;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Sink stage 2 of the {@code sites-ingest} route (bean {@code emsOutbox}): the batch as seed 003's Kafka events
 * (key = serial number, the seed's partition key), and the status events marked sent once Kafka acknowledged them.
 */
public class EmsOutbox {

    private static final ObjectMapper JSON = new ObjectMapper();


    private final DataSource dataSource;
    private final String telemetryTopic;
    private final String statusTopic;

    /**
     * @param telemetryTopic seed 003's device-telemetry topic
     * @param statusTopic    seed 003's device-status topic
     */
    public EmsOutbox(DataSource dataSource, String telemetryTopic, String statusTopic) {
        this.dataSource = dataSource;
        this.telemetryTopic = telemetryTopic;
        this.statusTopic = statusTopic;
    }

    /**
     * The batch's Kafka records, in order, as Camel messages (key, message-id header and topic each): every telemetry
     * message becomes seed 003's DEVICE_TELEMETRY event on the telemetry topic (powerKw in kW, voltage in V, current
     * in A), every status message with a pending event that DEVICE_STATUS_CHANGE event on the status topic. The
     * records also go to exchange property {@value OutboxRecord#RECORDS} ({@link EmsKafkaFallback#kafkaFailed}, {@link #markSent}).
     *
     * @param batch the batch the PostgreSQL stage committed
     * @return one Camel message per record; empty if the batch owes none
     */
    public List<Message> records(List<EmsMessage> batch, Exchange exchange) {
        List<OutboxRecord> records = new ArrayList<>(batch.size());
        for (EmsMessage m : batch) {
            if (m.kind() == EmsMessage.Kind.TELEMETRY) {
                EmsDevices.Device d = m.device();
                ObjectNode event = JSON.createObjectNode();
                event.put("deviceId", d.deviceId());
                event.put("serialNumber", d.serialNumber());
                event.put("siteId", d.siteId());
                event.put("deviceType", d.deviceType());
                event.set("telemetryData", m.telemetry());
                event.put("timestamp", m.timestamp().toString());
                event.put("eventType", "DEVICE_TELEMETRY");
                records.add(new OutboxRecord(telemetryTopic, m.serialNumber(), m.messageId(), event.toString(), null, null));
            } else if (m.eventId() != null) {
                records.add(new OutboxRecord(statusTopic, m.serialNumber(), m.messageId(), m.eventPayload(),
                        "ems_status_events", m.eventId()));
            }
        }
        return OutboxRecord.toKafka(exchange, records);
    }

    /**
     * Marks the status events just sent (to their topic or its dead-letter topic) in ems_status_events.
     *
     * @throws SQLException PostgreSQL unavailable (the events stay pending and go out again with a redelivery)
     */
    public void markSent(Exchange exchange) throws SQLException {
        OutboxRecord.markSent(dataSource, exchange);
    }
}
