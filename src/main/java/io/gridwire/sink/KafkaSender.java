package io.gridwire.sink;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends single Kafka records (notifications, alerts) and returns only once the broker acknowledged each one; a
 * failure is thrown. Idempotent, acks=all, like the camel-kafka component's producer; every record carries a
 * stable gridwire_message_id header so a consumer can drop the copy a crash between send and ack may cause.
 */
public class KafkaSender implements AutoCloseable {

    private final Properties config = new Properties();
    private final long timeoutMs;
    private volatile KafkaProducer<String, String> producer;

    private io.gridwire.metrics.Meters meters;

    /** Records every send as a sink write (gridwire_sink_*{sink="kafka:{topic}"}). */
    public KafkaSender withMeters(io.gridwire.metrics.Meters meters) {
        this.meters = meters;
        return this;
    }

    public KafkaSender(String bootstrapServers, int maxBlockMs, int deliveryTimeoutMs, int requestTimeoutMs) {
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(maxBlockMs));
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(deliveryTimeoutMs));
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(requestTimeoutMs));
        config.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "gridwire-events");
        this.timeoutMs = deliveryTimeoutMs + 5000L;
    }

    public void send(String topic, String key, String messageId, String value) throws Exception {
        send(topic, key, messageId, value, java.util.Map.of());
    }

    /** With more headers (e.g. the failure reason of a dead-letter-topic record). */
    public void send(String topic, String key, String messageId, String value, java.util.Map<String, String> headers)
            throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
        record.headers().add("gridwire_message_id", messageId.getBytes(StandardCharsets.UTF_8));
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        long start = System.nanoTime();
        Exception failure = null;
        try {
            producer().send(record).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            failure = e.getCause() instanceof Exception cause ? cause : e;
            throw failure;
        } catch (Exception e) {
            failure = e;
            throw e;
        } finally {
            if (meters != null) {
                meters.sinkWrite("kafka:" + topic, 1, System.nanoTime() - start, failure);
            }
        }
    }

    private KafkaProducer<String, String> producer() {
        if (producer == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
                }
            }
        }
        return producer;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
