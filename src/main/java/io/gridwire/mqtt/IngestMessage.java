package io.gridwire.mqtt;

import io.gridwire.message.PayloadParser;

/**
 * One MQTT message inside a batch of the {@code mqtt-ingest} consumer: what arrived (topic, payload, MQTT id and
 * QoS, for the ack), what the family's {@link PayloadParser} made of it (the body its sinks take), and, once
 * something refused it, why (it then goes to no further sink and is stored as a dead letter before its ack).
 */
public final class IngestMessage {

    private final String topic;
    private final byte[] payload;
    private final int mqttId;
    private final int qos;
    private final int connection;
    private volatile Object body;
    private volatile Exception rejection;
    /** Its receipt time when it had no timestamp of its own (for its copies), else null. */
    private volatile Receipts.Entry receipt;

    /**
     * @param connection the MQTT connection it arrived on ({@link DeferredConnectMqttClient#connectionEpoch()}): its
     *                   ack is only sent on that connection
     */
    public IngestMessage(String topic, byte[] payload, int mqttId, int qos, int connection) {
        this.topic = topic;
        this.payload = payload;
        this.mqttId = mqttId;
        this.qos = qos;
        this.connection = connection;
    }

    public int connection() {
        return connection;
    }

    public String topic() {
        return topic;
    }

    /** The payload as it arrived (the dead letter stores it unchanged). */
    public byte[] payload() {
        return payload;
    }

    public int mqttId() {
        return mqttId;
    }

    public int qos() {
        return qos;
    }

    /** The parsed message the sinks take (e.g. a seed 001 Reading); null once rejected. */
    public Object body() {
        return body;
    }

    void body(Object parsed) {
        this.body = parsed;
    }

    /** Why the message is a dead letter, or null while it is not. */
    public Exception rejection() {
        return rejection;
    }

    public boolean rejected() {
        return rejection != null;
    }

    Receipts.Entry receipt() {
        return receipt;
    }

    void receipt(Receipts.Entry r) {
        this.receipt = r;
    }

    /** Marks the message a dead letter: it goes to no further sink. */
    public void reject(Exception reason) {
        this.rejection = reason;
        this.body = null;
    }
}
