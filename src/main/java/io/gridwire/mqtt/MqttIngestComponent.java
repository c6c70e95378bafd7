package io.gridwire.mqtt;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code mqtt-ingest:} component: {@code mqtt-ingest:energy/devices/{deviceId}/data?client=#c&parser=#p} consumes
 * a subscription written as a {@link TopicPattern} and routes it as one exchange per batch of messages (body: the
 * {@code List<IngestMessage>}) instead of one per message; see {@link MqttIngestConsumer}. With an {@link IngestBuffer}
 * bound (kafka-first mode) every such route stores its batches there and routes what it reads back.
 */
public class MqttIngestComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        MqttIngestEndpoint endpoint = new MqttIngestEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        // kafka-first mode: the platform binds the buffer every ingest route stores its batches in
        if (endpoint.isKafkaFirst()) {
            endpoint.setBuffer(getCamelContext().getRegistry().lookupByNameAndType(IngestBuffer.BEAN, IngestBuffer.class));
        }
        endpoint.validate();
        return endpoint;
    }
}
