package io.gridwire.mqtt;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code mqtt-ingest:} component: {@code mqtt-ingest:energy/devices/{deviceId}/data?client=#c&parser=#p} consumes
 * a subscription written as a {@link TopicPattern} and routes it as one exchange per batch of messages (body: the
 * {@code List<IngestMessage>}) instead of one per message; see {@link MqttIngestConsumer}.
 */
public class MqttIngestComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        MqttIngestEndpoint endpoint = new MqttIngestEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        endpoint.validate();
        return endpoint;
    }
}
