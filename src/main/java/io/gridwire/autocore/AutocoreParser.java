package io.gridwire.autocore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;
import io.gridwire.message.PayloadTimestamps;
import io.gridwire.message.Text;

/**
 * Seed 002's message formats, read on the MQTT thread (no I/O): the {@code autocore-ingest} route's parser (bean
 * {@code autocoreParser}). A message it refuses becomes a dead letter naming the reason.
 */
public class AutocoreParser implements PayloadParser {

    private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonPayloads payloads;

    /** @param payloads the shared JSON reader (size and depth limits) */
    public AutocoreParser(JsonPayloads payloads) {
        this.payloads = payloads;
    }

    /**
     * Reads a seed 002 payload with the topic levels deviceId, autocoreKind (status|telemetry|relay|display|system),
     * relayIndex and systemSubtopic, as named in autocore.topics.
     *
     * @param topic  the MQTT topic (its levels are already in {@code levels})
     * @param body   the payload, JSON
     * @param levels the topic's named levels
     * @return the message, its kind from the topic; status uptime in s, telemetry fields as numbers in the device's units
     * @throws InvalidMessageException naming what is wrong (the dead letter's reason)
     */
    @Override
    public AutocoreMessage parse(String topic, byte[] body, Map<String, Object> levels) throws InvalidMessageException {
        Object kind = levels.get("autocoreKind");
        if (kind == null) {
            throw new InvalidMessageException("the topic is not an AutoCore topic gridwire knows (autocore.topics names the "
                                              + "levels deviceId and autocoreKind)");
        }
        String deviceId = (String) levels.get("deviceId");
        JsonNode p = parse(body, deviceId);
        return switch (kind.toString()) {
            case "status" -> status(p, deviceId);
            case "telemetry" -> telemetry(p, deviceId);
            case "relay" -> relay(p, deviceId, (String) levels.get("relayIndex"));
            case "display" -> logged(p, deviceId, AutocoreMessage.Kind.DISPLAY, null);
            case "system" -> logged(p, deviceId, AutocoreMessage.Kind.SYSTEM, (String) levels.get("systemSubtopic"));
            default -> throw new InvalidMessageException("topic kind '" + Text.printable(kind.toString())
                                                         + "' is not one of status, telemetry, relay, display, system");
        };
    }

    private static AutocoreMessage status(JsonNode p, String deviceId) throws InvalidMessageException {
        String status = text(p, "status", 32, true);
        if (!status.equals("online") && !status.equals("offline")) {
            throw new InvalidMessageException("field 'status' must be 'online' or 'offline', got '" + Text.printable(status) + "'");
        }
        String ip = text(p, "ip_address", 64, false);
        String firmware = text(p, "firmware_version", 64, false);
        Long uptime = nonNegativeLong(p, "uptime");
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.STATUS, deviceId, timestamp(p));
        m.online = status.equals("online");
        m.ipAddress = ip;
        m.firmware = firmware;
        m.uptime = uptime;
        return m;
    }

    private static AutocoreMessage telemetry(JsonNode p, String deviceId) throws InvalidMessageException {
        Instant ts = timestamp(p);
        Map<String, Double> fields = new LinkedHashMap<>();
        List<String> notNumbers = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("device_id") || f.getKey().equals("timestamp")) {
                continue;
            }
            // numbers, and numbers sent as strings ("100.00"); other text and flags are not telemetry values
            Double value = JsonPayloads.number(f.getValue());
            if (value == null) {
                notNumbers.add(Text.printable(f.getKey()));
                continue;
            }
            if (!FIELD.matcher(f.getKey()).matches()) {
                if (!f.getValue().isNumber()) {
                    notNumbers.add(Text.printable(f.getKey())); // text under a name no value may have: as before, not telemetry
                    continue;
                }
                throw new InvalidMessageException("telemetry field name '" + Text.printable(f.getKey())
                                                  + "' is not allowed (letters, digits, '_', up to 64)");
            }
            double v = value;
            if (!Double.isFinite(v)) {
                throw new InvalidMessageException("telemetry field '" + f.getKey() + "' is not a finite number");
            }
            fields.put(f.getKey(), v);
        }
        if (fields.isEmpty()) {
            throw new InvalidMessageException("telemetry has no numeric field" + (notNumbers.isEmpty() ? ""
                    : " (not numbers: " + String.join(", ", notNumbers.subList(0, Math.min(8, notNumbers.size()))) + ")"));
        }
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.TELEMETRY, deviceId, ts);
        m.fields = fields;
        try {
            m.json = JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("telemetry cannot be written as JSON: " + e.getOriginalMessage());
        }
        return m;
    }

    private static AutocoreMessage relay(JsonNode p, String deviceId, String topicIndex) throws InvalidMessageException {
        int index;
        try {
            index = Integer.parseInt(String.valueOf(topicIndex));
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("relay index '" + Text.printable(String.valueOf(topicIndex))
                                              + "' in the topic is not a number");
        }
        if (index < 0 || index > 1023) {
            throw new InvalidMessageException("relay index " + index + " is out of range 0..1023");
        }
        JsonNode pi = p.get("relay_index");
        if (pi != null && !pi.isNull() && (!pi.canConvertToInt() || !pi.isIntegralNumber() || pi.intValue() != index)) {
            throw new InvalidMessageException("field 'relay_index' (" + pi + ") does not match the topic's " + index);
        }
        JsonNode stateNode = p.get("state");
        if (stateNode == null || !stateNode.isBoolean()) {
            throw new InvalidMessageException("field 'state' must be true or false");
        }
        String triggeredBy = text(p, "triggered_by", 64, false);
        AutocoreMessage m = new AutocoreMessage(AutocoreMessage.Kind.RELAY, deviceId, timestamp(p));
        m.relayIndex = index;
        m.relayState = stateNode.booleanValue();
        m.triggeredBy = triggeredBy;
        return m;
    }

    private static AutocoreMessage logged(JsonNode p, String deviceId, AutocoreMessage.Kind kind, String subtopic)
            throws InvalidMessageException {
        AutocoreMessage m = new AutocoreMessage(kind, deviceId, timestamp(p));
        m.json = p.toString();
        m.subtopic = subtopic;
        return m;
    }

    private JsonNode parse(byte[] body, String topicDeviceId) throws InvalidMessageException {
        if (topicDeviceId == null || !Text.ID.matcher(topicDeviceId).matches()) {
            throw new InvalidMessageException("device id in the topic must be 1-64 letters, digits, '.', '_' or '-'");
        }
        JsonNode p = payloads.tree(body);
        JsonNode id = p.get("device_id");
        if (id != null && !id.isNull() && !topicDeviceId.equals(id.asText())) {
            throw new InvalidMessageException("field 'device_id' (" + Text.printable(id.asText())
                                              + ") does not match the topic's '" + topicDeviceId + "'");
        }
        return p;
    }

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return PayloadTimestamps.of(p);
    }

    private static String text(JsonNode p, String field, int max, boolean required) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new InvalidMessageException("field '" + field + "' is missing");
            }
            return null;
        }
        if (!n.isTextual() || n.asText().length() > max) {
            throw new InvalidMessageException("field '" + field + "' must be a string of at most " + max + " characters");
        }
        return n.asText();
    }

    private static Long nonNegativeLong(JsonNode p, String field) throws InvalidMessageException {
        JsonNode n = p.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new InvalidMessageException("field '" + field + "' must be a whole number >= 0");
        }
        return n.longValue();
    }
}
