package io.gridwire.mqtt;

import org.apache.camel.Exchange;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;

import io.gridwire.telemetry.InvalidMessageException;

/**
 * Parses an MQTT topic once, at the top of a route, into named headers: the levels that stand where the
 * subscription's filter has a '+' become the headers named, in order (e.g. filter energy/devices/+/data with
 * names "deviceId" sets header deviceId).
 */
public class TopicHeaders {

    public void parse(Exchange exchange, String filter, String names) throws InvalidMessageException {
        String topic = exchange.getMessage().getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class);
        if (topic == null) {
            throw new InvalidMessageException("message has no MQTT topic");
        }
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        String[] headerNames = names.trim().split("\\s+");
        int next = 0;
        for (int i = 0; i < f.length && next < headerNames.length; i++) {
            if ("#".equals(f[i])) {
                break;
            }
            if ("+".equals(f[i])) {
                // an empty level sets no header: the route's validation names what is missing
                String value = i < t.length && !t[i].isEmpty() ? t[i] : null;
                exchange.getMessage().setHeader(headerNames[next++], value);
            }
        }
    }
}
