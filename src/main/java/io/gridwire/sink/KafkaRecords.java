package io.gridwire.sink;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;

import io.gridwire.telemetry.Reading;
import io.gridwire.telemetry.TelemetryReadings;

/**
 * Turns a batch of readings into one Camel message per Kafka record (camel-kafka sends an Iterable body as a
 * batch and completes when the broker acknowledged all of it): key = device id, value = the reading in seed 001's
 * format, header {@value #MESSAGE_ID} = {@link #messageId} of the record, the same on every redelivery of the same
 * reading (consumers drop the copy) and different for a different reading under the same key (a correction: the
 * later one is the reading every sink holds).
 */
public class KafkaRecords {

    public static final String MESSAGE_ID = "gridwire_message_id";

    private final CamelContext camelContext;
    private final TelemetryReadings readings;

    public KafkaRecords(CamelContext camelContext, TelemetryReadings readings) {
        this.camelContext = camelContext;
        this.readings = readings;
    }

    /**
     * The id of a Kafka record: {@code key@timestamp#crc} where crc is the CRC-32C (8 hex digits) of the record's
     * content, so the id is stable across redeliveries and identifies the content, not only the key.
     *
     * @param key       the device's id (or serial number)
     * @param timestamp the reading's ISO-8601 timestamp
     * @param content   what the record says (its value, or the part of it that is the device's)
     */
    public static String messageId(String key, String timestamp, String content) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return key + "@" + timestamp + "#" + java.util.HexFormat.of().toHexDigits((int) crc.getValue());
    }

    public List<Message> energyReadings(List<Reading> batch) {
        List<Message> records = new ArrayList<>(batch.size());
        for (Reading r : batch) {
            Message m = new DefaultMessage(camelContext);
            String ts = r.timestamp().toString();
            m.setHeader(KafkaConstants.KEY, r.deviceId());
            // the timestamp rendered once for the id and the value
            String value = readings.toJson(r, ts);
            m.setHeader(MESSAGE_ID, messageId(r.deviceId(), ts, value));
            m.setBody(value);
            records.add(m);
        }
        return records;
    }
}
