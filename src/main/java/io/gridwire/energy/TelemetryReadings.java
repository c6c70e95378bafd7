package io.gridwire.energy;

import io.gridwire.message.InvalidMessageException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;


import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;

/**
 * Parses and validates seed 001 readings; every rejection names the problem, and becomes the dead letter's reason.
 * Also renders a reading back in seed 001's data format (the Kafka record value).
 */
public class TelemetryReadings implements PayloadParser {

    /** Device ids become Kafka keys, tags and primary keys: keep them to a safe, bounded alphabet. */
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private final JsonPayloads payloads;

    /** @param maxPayloadBytes larger payloads are refused before parsing */
    public TelemetryReadings(int maxPayloadBytes) {
        this.payloads = new JsonPayloads(maxPayloadBytes);
    }

    /**
     * Reads a seed 001 payload. The device id comes from the topic; a device_id in the payload must agree with it.
     */
    public Reading reading(byte[] payload, String topicDeviceId) throws InvalidMessageException {
        JsonNode root = payloads.tree(payload);
        String deviceId = deviceId(root, topicDeviceId);
        Instant timestamp = timestamp(root);
        double power = number(root, "power");
        double voltage = number(root, "voltage");
        double current = number(root, "current");
        double energy = number(root, "energy");
        if (energy < 0) {
            throw new InvalidMessageException("field 'energy' is negative (" + energy + "); cumulative energy cannot be");
        }
        String status = optionalText(root, "status");
        Boolean enabled = optionalBoolean(root, "enabled");
        return new Reading(deviceId, timestamp, power, voltage, current, energy, status, enabled);
    }

    /** For the mqtt-ingest: consumer: the device id comes from the topic level named {@code deviceId}. */
    @Override
    public Reading parse(String topic, byte[] payload, Map<String, Object> levels) throws InvalidMessageException {
        return reading(payload, (String) levels.get("deviceId"));
    }

    /** The reading in seed 001's data format. */
    public String toJson(Reading r) {
        return toJson(r, r.timestamp().toString());
    }

    /**
     * The reading in seed 001's data format, its timestamp already rendered (ISO-8601, as {@link Instant#toString()});
     * written field by field (no map, no tree): this runs for every Kafka record.
     */
    public String toJson(Reading r, String isoTimestamp) {
        StringBuilder sb = new StringBuilder(160);
        // device ids are validated to a safe alphabet (DEVICE_ID): no escaping needed
        sb.append("{\"device_id\":\"").append(r.deviceId()).append("\",\"timestamp\":\"").append(isoTimestamp)
                .append("\",\"power\":").append(r.power()).append(",\"voltage\":").append(r.voltage())
                .append(",\"current\":").append(r.current()).append(",\"energy\":").append(r.energy());
        if (r.status() != null) {
            sb.append(",\"status\":\"");
            JsonStringEncoder.getInstance().quoteAsString(r.status(), sb);
            sb.append('"');
        }
        if (r.enabled() != null) {
            sb.append(",\"enabled\":").append(r.enabled().booleanValue());
        }
        return sb.append('}').toString();
    }

    private static String deviceId(JsonNode root, String topicDeviceId) throws InvalidMessageException {
        JsonNode node = root.get("device_id");
        String fromPayload = null;
        if (node != null && !node.isNull()) {
            if (!node.isTextual()) {
                throw new InvalidMessageException("field 'device_id' must be a string, got " + describe(node));
            }
            fromPayload = node.asText();
        }
        String id = fromPayload != null ? fromPayload : topicDeviceId;
        if (id == null || id.isEmpty()) {
            throw new InvalidMessageException("missing device id: no 'device_id' field and none in the topic");
        }
        if (!DEVICE_ID.matcher(id).matches()) {
            throw new InvalidMessageException("invalid device id '" + abbreviate(id)
                                              + "': use 1-128 letters, digits, '.', '_', ':' or '-'");
        }
        if (fromPayload != null && topicDeviceId != null && !fromPayload.equals(topicDeviceId)) {
            throw new InvalidMessageException("field 'device_id' (" + fromPayload + ") does not match the topic's device id ("
                                              + abbreviate(topicDeviceId) + ")");
        }
        return id;
    }

    private Instant timestamp(JsonNode root) throws InvalidMessageException {
        JsonNode node = root.get("timestamp");
        if (node == null || node.isNull()) {
            throw new InvalidMessageException("missing field 'timestamp'");
        }
        if (!node.isTextual()) {
            throw new InvalidMessageException("field 'timestamp' must be an ISO-8601 string, got " + describe(node));
        }
        Instant ts;
        try {
            ts = java.time.OffsetDateTime.parse(node.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidMessageException("field 'timestamp' is not an ISO-8601 date-time with offset: '"
                                              + abbreviate(node.asText()) + "'");
        }
        // the rule of every family (timestamps.earliest, timestamps.maxFutureSkew)
        return io.gridwire.message.PayloadTimestamps.check(ts);
    }

    private static double number(JsonNode root, String field) throws InvalidMessageException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidMessageException("missing field '" + field + "'");
        }
        Double number = JsonPayloads.number(node); // a number, or a number sent as a string
        if (number == null) {
            throw new InvalidMessageException("field '" + field + "' must be a number, got " + describe(node));
        }
        double v = number;
        if (!Double.isFinite(v) || Math.abs(v) > 1e15) {
            throw new InvalidMessageException("field '" + field + "' is out of range: " + node.asText());
        }
        return v;
    }

    private static String optionalText(JsonNode root, String field) throws InvalidMessageException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.asText().length() > 64) {
            throw new InvalidMessageException("field '" + field + "' must be a string of at most 64 characters, got "
                                              + describe(node));
        }
        return node.asText();
    }

    private static Boolean optionalBoolean(JsonNode root, String field) throws InvalidMessageException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            throw new InvalidMessageException("field '" + field + "' must be true or false, got " + describe(node));
        }
        return node.asBoolean();
    }

    private static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        String shown = node.isContainerNode() ? "" : " " + abbreviate(node.toString());
        return type.name().toLowerCase() + shown;
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
