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
 * format, header {@value #MESSAGE_ID} = a stable id so consumers can spot a redelivered duplicate.
 */
public class KafkaRecords {

    public static final String MESSAGE_ID = "gridwire_message_id";

    private final CamelContext camelContext;
    private final TelemetryReadings readings;

    public KafkaRecords(CamelContext camelContext, TelemetryReadings readings) {
        this.camelContext = camelContext;
        this.readings = readings;
    }

    public List<Message> energyReadings(List<Reading> batch) {
        List<Message> records = new ArrayList<>(batch.size());
        for (Reading r : batch) {
            Message m = new DefaultMessage(camelContext);
            String ts = r.timestamp().toString();
            m.setHeader(KafkaConstants.KEY, r.deviceId());
            // the same id as Reading.messageId(), the timestamp rendered once for it and the value
            m.setHeader(MESSAGE_ID, r.deviceId() + "@" + ts);
            m.setBody(readings.toJson(r, ts));
            records.add(m);
        }
        return records;
    }
}
