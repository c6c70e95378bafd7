package io.gridwire.sites;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;
import io.gridwire.message.PayloadTimestamps;
import io.gridwire.message.Text;

/**
 * Seed 003's device telemetry and status payloads from sites/{siteId}/devices/{serial}/..., read on the MQTT thread
 * (no I/O): the {@code sites-ingest} route's parser (bean {@code emsParser}). A message it refuses becomes a dead
 * letter naming the reason.
 */
public class EmsParser implements PayloadParser {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TELEMETRY_FIELDS = List.of("powerKw", "voltage", "current", "temperature", "efficiency");
    private static final List<String> STATUSES = List.of("ONLINE", "OFFLINE", "MAINTENANCE", "ERROR");

    private final JsonPayloads payloads;

    /** @param payloads the shared JSON reader (size and depth limits) */
    public EmsParser(JsonPayloads payloads) {
        this.payloads = payloads;
    }

    /**
     * A seed 003 telemetry or status payload and the topic levels siteId, serialNumber and siteKind
     * (telemetry|status), as named in sites.topics.
     *
     * @return the message: telemetry powerKw (kW), voltage (V), current (A), temperature, efficiency, each a finite
     *         number or null; status one of ONLINE, OFFLINE, MAINTENANCE, ERROR with an optional reason
     * @throws InvalidMessageException naming what is wrong (the dead letter's reason)
     */
    @Override
    public EmsMessage parse(String topic, byte[] body, Map<String, Object> levels) throws InvalidMessageException {
        Object kind = levels.get("siteKind");
        String serial = (String) levels.get("serialNumber");
        Object siteText = levels.get("siteId");
        if (kind == null || serial == null || siteText == null) {
            throw new InvalidMessageException("the topic is not a site device topic gridwire knows (sites.topics names the "
                                              + "levels siteId, serialNumber and siteKind)");
        }
        if (!Text.ID.matcher(serial).matches()) {
            throw new InvalidMessageException("serial number in the topic must be 1-64 letters, digits, '.', '_' or '-'");
        }
        long site;
        try {
            site = Long.parseLong(siteText.toString());
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("site id '" + Text.printable(siteText.toString()) + "' in the topic is not a number");
        }
        JsonNode p = payloads.tree(body);
        return switch (kind.toString()) {
            case "telemetry" -> telemetry(site, serial, p);
            case "status" -> status(site, serial, p);
            default -> throw new InvalidMessageException("topic kind '" + Text.printable(kind.toString())
                                                         + "' is neither telemetry nor status");
        };
    }

    private static EmsMessage telemetry(long site, String serial, JsonNode p) throws InvalidMessageException {
        Instant ts = timestamp(p);
        ObjectNode data = JSON.createObjectNode();
        int present = 0;
        for (String f : TELEMETRY_FIELDS) {
            JsonNode v = p.get(f);
            if (v == null || v.isNull()) {
                data.putNull(f);
                continue;
            }
            Double number = JsonPayloads.number(v); // a number, or a number sent as a string
            if (number == null || !Double.isFinite(number)) {
                throw new InvalidMessageException("field '" + f + "' must be a finite number, got " + abbreviate(v.toString()));
            }
            data.put(f, number);
            present++;
        }
        if (present == 0) {
            throw new InvalidMessageException("telemetry has none of " + String.join(", ", TELEMETRY_FIELDS));
        }
        return EmsMessage.telemetry(site, serial, ts, data);
    }

    private static EmsMessage status(long site, String serial, JsonNode p) throws InvalidMessageException {
        JsonNode s = p.get("status");
        if (s == null || !s.isTextual()) {
            throw new InvalidMessageException("field 'status' is missing or not a string");
        }
        String status = s.asText().strip().toUpperCase(Locale.ROOT);
        if (!STATUSES.contains(status)) {
            throw new InvalidMessageException("field 'status' must be one of " + String.join(", ", STATUSES) + ", got '"
                                              + Text.printable(s.asText()) + "'");
        }
        JsonNode r = p.get("reason");
        if (r != null && !r.isNull() && (!r.isTextual() || r.asText().length() > 4096)) {
            throw new InvalidMessageException("field 'reason' must be a string of at most 4096 characters");
        }
        return EmsMessage.status(site, serial, timestamp(p), status, r == null || r.isNull() ? null : r.asText());
    }

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return PayloadTimestamps.of(p);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
