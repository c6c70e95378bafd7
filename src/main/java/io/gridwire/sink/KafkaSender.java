package io.gridwire.sink;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Sends one Kafka record through camel-kafka (the component's idempotent, acks=all producer settings) and returns
 * only once the broker acknowledged it; a failure is thrown. The record carries a stable gridwire_message_id header.
 */
public class KafkaSender {

    private final CamelContext context;
    private volatile ProducerTemplate template;

    public KafkaSender(CamelContext context) {
        this.context = context;
    }

    public void send(String topic, String key, String messageId, String value) throws Exception {
        Exchange result = template().send("kafka:" + topic, e -> {
            e.getMessage().setBody(value);
            e.getMessage().setHeader(KafkaConstants.KEY, key);
            e.getMessage().setHeader("gridwire_message_id", messageId);
        });
        if (result.getException() != null) {
            throw result.getException();
        }
    }

    private ProducerTemplate template() {
        if (template == null) {
            synchronized (this) {
                if (template == null) {
                    template = context.createProducerTemplate();
                }
            }
        }
        return template;
    }
}
