package io.gridwire.mqtt;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;

/**
 * Parses an MQTT topic once, at the top of a route, into named headers: the levels that stand where the
 * subscription's filter has a '+' become the headers named, in order (filter energy/devices/+/data with names
 * "deviceId" sets header deviceId). An empty level sets no header; the route's validation names what is missing.
 */
public class TopicHeaders implements Processor {

    private final String[] filter;
    private final String[] names;

    public TopicHeaders(String filter, String names) {
        this.filter = filter.split("/", -1);
        this.names = names.trim().split("\\s+");
    }

    /** MDC key of the device a log line is about (propagated by Camel's MDC logging, see camel.main.mdcLoggingKeysPattern). */
    public static final String MDC_DEVICE = "gridwire.device";

    @Override
    public void process(Exchange exchange) {
        String topic = exchange.getMessage().getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class);
        String[] levels = topic == null ? new String[0] : topic.split("/", -1);
        int next = 0;
        String device = null;
        for (int i = 0; i < filter.length && next < names.length && !"#".equals(filter[i]); i++) {
            if ("+".equals(filter[i])) {
                String value = i < levels.length && !levels[i].isEmpty() ? levels[i] : null;
                if (device == null && value != null) {
                    device = value;
                }
                exchange.getMessage().setHeader(names[next++], value);
            }
        }
        // the log's device=... (log4j2.properties): the first topic level standing for a device or site
        if (device == null) {
            org.slf4j.MDC.remove(MDC_DEVICE);
        } else {
            org.slf4j.MDC.put(MDC_DEVICE, device.length() > 64 ? device.substring(0, 64) : device.replaceAll("[^\\x21-\\x7e]", "?"));
        }
    }
}
