package io.gridwire.mqtt;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses an MQTT topic once, at the top of a route, into named headers. The names come from the route's own
 * subscription, written as a {@link TopicPattern}: a route consuming {@code paho-mqtt5:energy/devices/{deviceId}/data}
 * gets header {@code deviceId} from the third level. So the filter and the level names live in one place, the route's
 * {@code from} URI (or the property it names): remapping a family's topics is one edit, hot reload included. A level
 * that is empty sets its header to null; the route's validation names what is missing.
 */
public class TopicHeaders implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(TopicHeaders.class);

    private final Map<String, TopicPattern> patterns = new ConcurrentHashMap<>();

    @Override
    public void process(Exchange exchange) {
        TopicPattern pattern = pattern(exchange.getFromEndpoint());
        if (pattern == null) {
            return;
        }
        Map<String, Object> levels = new HashMap<>(4);
        pattern.read(exchange.getMessage().getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class), levels);
        levels.forEach(exchange.getMessage()::setHeader);
    }

    private TopicPattern pattern(Endpoint from) {
        if (from instanceof org.apache.camel.component.master.MasterEndpoint master) {
            from = master.getEndpoint(); // a route that consumes on the leader only (master:gridwire:paho-mqtt5:...)
        }
        if (!(from instanceof PahoMqtt5Endpoint mqtt) || mqtt.getTopic() == null) {
            return null;
        }
        return patterns.computeIfAbsent(mqtt.getTopic(), topic -> {
            TopicPattern p = TopicPattern.of(topic);
            if (!p.named()) {
                LOG.warn("Route subscription {} names no topic level: write the identifiers' levels as {{name}}, e.g. "
                         + "energy/devices/{deviceId}/data; no header is taken from its topics", topic);
            }
            return p;
        });
    }
}
