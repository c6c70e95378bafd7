package io.gridwire.sink;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

import io.gridwire.mqtt.IngestBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The raw records of kafka-first mode: a received MQTT message as a Kafka record of its route's raw topic and back.
 * Key: the message's key (the topic's first named level); value: the payload unchanged, cut to the largest payload
 * gridwire reads when longer; headers {@value #TOPIC_HEADER}, {@value #RECEIVED_HEADER} (ISO-8601, the first receipt),
 * {@value #ID_HEADER} and, for a cut payload, {@value #REFUSED_HEADER} with the reason.
 */
final class RawRecords {

    static final String TOPIC_HEADER = "gridwire_mqtt_topic";
    static final String RECEIVED_HEADER = "gridwire_received_at";
    static final String ID_HEADER = "gridwire_raw_id";
    static final String REFUSED_HEADER = "gridwire_refused";

    private RawRecords() {
    }

    /**
     * A stored message as a record of {@code topic}; a payload over {@code maxPayloadBytes} is cut to it and marked
     * refused (the parser would refuse it; Kafka would refuse the whole record for good and hold the route up).
     */
    static ProducerRecord<String, byte[]> record(String topic, IngestBuffer.Stored s, int maxPayloadBytes) {
        byte[] value = s.payload();
        String refused = null;
        if (value.length > maxPayloadBytes) {
            refused = "payload of " + value.length + " bytes exceeds the limit of " + maxPayloadBytes
                      + " bytes (mqtt.maxPayloadBytes; stored cut to it)";
            value = Arrays.copyOf(value, maxPayloadBytes);
        }
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, s.key(), value);
        r.headers().add(TOPIC_HEADER, s.topic().getBytes(StandardCharsets.UTF_8));
        r.headers().add(RECEIVED_HEADER, s.receivedAt().toString().getBytes(StandardCharsets.UTF_8));
        r.headers().add(ID_HEADER, rawId(s).getBytes(StandardCharsets.UTF_8));
        if (refused != null) {
            r.headers().add(REFUSED_HEADER, refused.getBytes(StandardCharsets.UTF_8));
        }
        return r;
    }

    /**
     * The id a stored message keeps in every copy (a redelivery takes the first receipt time): its key, its first
     * receipt, and a CRC-32 of its MQTT topic and payload, e.g. {@code meter-7@2026-12-01T03:00:00.123456Z#1a2b3c4d}.
     */
    static String rawId(IngestBuffer.Stored s) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(s.topic().getBytes(StandardCharsets.UTF_8));
        crc.update(s.payload());
        return s.key() + "@" + s.receivedAt() + "#" + String.format("%08x", crc.getValue());
    }

    /** A record as the route reads it; a header it cannot read falls back (Kafka's record time, the raw topic). */
    static IngestBuffer.Stored stored(ConsumerRecord<String, byte[]> r) {
        String topic = header(r, TOPIC_HEADER);
        Instant received;
        try {
            String at = header(r, RECEIVED_HEADER);
            received = at == null ? Instant.ofEpochMilli(r.timestamp()) : Instant.parse(at);
        } catch (RuntimeException e) {
            received = Instant.ofEpochMilli(r.timestamp());
        }
        return new IngestBuffer.Stored(topic == null ? r.topic() : topic, r.value() == null ? new byte[0] : r.value(), r.key(),
                received, header(r, REFUSED_HEADER));
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
