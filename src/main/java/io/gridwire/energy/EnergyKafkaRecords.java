package io.gridwire.energy;

import java.util.ArrayList;
import java.util.List;

import io.gridwire.sink.KafkaRecords;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;

/**
 * Turns a batch of readings into one Camel message per Kafka record (camel-kafka sends an Iterable body as a
 * batch and completes when the broker acknowledged all of it): key = device id, value = the reading in seed 001's
 * format, header {@value KafkaRecords#MESSAGE_ID} = {@link KafkaRecords#messageId} of the record.
 */
public class EnergyKafkaRecords {

    private final CamelContext camelContext;
    private final TelemetryReadings readings;

    public EnergyKafkaRecords(CamelContext camelContext, TelemetryReadings readings) {
        this.camelContext = camelContext;
        this.readings = readings;
    }

    /** One record per reading, in the batch's order. */
    public List<Message> energyReadings(List<Reading> batch) {
        List<Message> records = new ArrayList<>(batch.size());
        for (Reading r : batch) {
            Message m = new DefaultMessage(camelContext);
            String ts = r.timestamp().toString();
            m.setHeader(KafkaConstants.KEY, r.deviceId());
            // the timestamp rendered once for the id and the value
            String value = readings.toJson(r, ts);
            m.setHeader(KafkaRecords.MESSAGE_ID, KafkaRecords.messageId(r.deviceId(), ts, value));
            m.setBody(value);
            records.add(m);
        }
        return records;
    }
}
