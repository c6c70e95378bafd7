package io.gridwire.mqtt;

import io.gridwire.message.PayloadParser;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.eclipse.paho.mqttv5.client.MqttClient;

/**
 * An {@code mqtt-ingest:} subscription. Options: {@code client} (the MQTT client, a {@link DeferredConnectMqttClient}
 * with manual acks), {@code parser} (the family's {@link PayloadParser}), {@code qos} (default 1), {@code batchSize}
 * (messages per exchange at most, default 1000), {@code maxDelayMs} (how long the first message of a batch waits for
 * more, default 50 ms) and {@code kafkaFirst} (take the kafka-first buffer in that mode, default true). Consumer only.
 */
public class MqttIngestEndpoint extends DefaultEndpoint {

    private final String topic;
    private MqttClient client;
    private PayloadParser parser;
    private int qos = 1;
    private int batchSize = 1000;
    private long maxDelayMs = 50;
    private IngestBuffer buffer;
    private boolean kafkaFirst = true;

    MqttIngestEndpoint(String uri, MqttIngestComponent component, String topic) {
        super(uri, component);
        this.topic = topic;
    }

    void validate() {
        TopicPattern.of(topic);
        if (client == null || parser == null) {
            throw new IllegalArgumentException("mqtt-ingest:" + topic + " needs the options client and parser");
        }
        if (qos < 0 || qos > 2 || batchSize < 1 || maxDelayMs < 0) {
            throw new IllegalArgumentException("mqtt-ingest:" + topic + ": qos 0-2, batchSize >= 1, maxDelayMs >= 0");
        }
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("mqtt-ingest: is a consumer only; publish with paho-mqtt5:");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        MqttIngestConsumer consumer = new MqttIngestConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    /** The subscription as written, with its named levels. */
    public String getTopic() {
        return topic;
    }

    public MqttClient getClient() {
        return client;
    }

    public void setClient(MqttClient client) {
        this.client = client;
    }

    public PayloadParser getParser() {
        return parser;
    }

    public void setParser(PayloadParser parser) {
        this.parser = parser;
    }

    public int getQos() {
        return qos;
    }

    public void setQos(int qos) {
        this.qos = qos;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    /** The durable buffer between MQTT and the route (kafka-first mode); null: direct. */
    public IngestBuffer getBuffer() {
        return buffer;
    }

    public void setBuffer(IngestBuffer buffer) {
        this.buffer = buffer;
    }

    /**
     * Whether this route takes the kafka-first buffer when the platform runs in that mode (default true); false keeps
     * it direct (the PDU socket brokers' routes, which come and go with their sockets' settings).
     */
    public boolean isKafkaFirst() {
        return kafkaFirst;
    }

    public void setKafkaFirst(boolean kafkaFirst) {
        this.kafkaFirst = kafkaFirst;
    }

    public long getMaxDelayMs() {
        return maxDelayMs;
    }

    public void setMaxDelayMs(long maxDelayMs) {
        this.maxDelayMs = maxDelayMs;
    }
}
