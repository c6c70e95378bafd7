package io.gridwire.autocore;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;

/**
 * Parses an AutoCore topic once into headers: autocoreDeviceId, autocoreKind (status, telemetry, relay, display,
 * system, or unknown), relayIndex and systemSubtopic. The prefix is configurable (autocore.prefix).
 */
public class AutocoreTopic implements Processor {

    public static final String DEVICE_ID = "autocoreDeviceId";
    public static final String KIND = "autocoreKind";
    public static final String RELAY_INDEX = "relayIndex";
    public static final String SYSTEM_SUBTOPIC = "systemSubtopic";

    private final String prefix;

    public AutocoreTopic(String prefix) {
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getMessage();
        String topic = m.getHeader(PahoMqtt5Constants.MQTT_TOPIC, String.class);
        m.setHeader(KIND, "unknown");
        if (topic == null || !topic.startsWith(prefix)) {
            return;
        }
        String[] l = topic.substring(prefix.length()).split("/", -1);
        if (l.length < 2 || l[0].isEmpty()) {
            return;
        }
        m.setHeader(DEVICE_ID, l[0]);
        String kind = null;
        if (l.length == 2 && l[1].equals("status")) {
            kind = "status";
        } else if (l.length == 2 && l[1].equals("telemetry")) {
            kind = "telemetry";
        } else if (l.length == 4 && l[1].equals("relay") && l[3].equals("status")) {
            kind = "relay";
            m.setHeader(RELAY_INDEX, l[2]);
        } else if (l.length == 3 && l[1].equals("display") && l[2].equals("interaction")) {
            kind = "display";
        } else if (l.length == 3 && l[1].equals("system") && !l[2].isEmpty()) {
            kind = "system";
            m.setHeader(SYSTEM_SUBTOPIC, l[2]);
        }
        if (kind != null) {
            m.setHeader(KIND, kind);
        }
    }
}
