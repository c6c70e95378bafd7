package io.gridwire.sites;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.db.Transactions;
import io.gridwire.mqtt.JsonPayloads;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.sink.KafkaSender;
import io.gridwire.sink.RedeliverLaterException;
import io.gridwire.sink.SinkFailures;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.telemetry.InvalidMessageException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 003's Device Service side: MQTT telemetry and status from sites/{siteId}/devices/{serial}/... become the
 * seed's device-telemetry and device-status Kafka events (key = serial number); commands from REST go to the
 * device over MQTT at QoS 2. A status change is stored with its event in one transaction and the event marked sent
 * once Kafka acknowledged it, so a redelivery sends a pending event but never a second change.
 */
public class EmsBridge {

    private static final Logger LOG = LoggerFactory.getLogger(EmsBridge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TELEMETRY_FIELDS = List.of("powerKw", "voltage", "current", "temperature", "efficiency");
    private static final List<String> STATUSES = List.of("ONLINE", "OFFLINE", "MAINTENANCE", "ERROR");

    /** Exchange property: the Kafka topic of the record in the body. */
    public static final String TOPIC = "emsKafkaTopic";
    /** Exchange property: the ems_status_events row the record in the body comes from. */
    public static final String STATUS_EVENT_ID = "emsStatusEventId";
    /** Exchange property: true when the message produces no Kafka record (status unchanged, stale or already sent). */
    public static final String NOTHING_TO_SEND = "emsNothingToSend";
    public static final String MESSAGE_ID = "gridwire_message_id";

    private final DataSource dataSource;
    private final EmsDevices devices;
    private final JsonPayloads payloads;
    private final UntilAvailable retry;
    private final String telemetryTopic;
    private final String statusTopic;
    private final CircuitBreaker breaker;
    private final KafkaSender deadLetterTopics;
    private final MqttSender commands;
    private final String commandTopic;
    private volatile ProducerTemplate template;

    public EmsBridge(DataSource dataSource, EmsDevices devices, JsonPayloads payloads, UntilAvailable retry,
                     String telemetryTopic, String statusTopic, CircuitBreaker breaker, KafkaSender deadLetterTopics,
                     MqttSender commands, String commandTopic) {
        this.dataSource = dataSource;
        this.devices = devices;
        this.payloads = payloads;
        this.retry = retry;
        this.telemetryTopic = telemetryTopic;
        this.statusTopic = statusTopic;
        this.breaker = breaker;
        this.deadLetterTopics = deadLetterTopics;
        this.commands = commands;
        this.commandTopic = commandTopic;
    }

    // ---- MQTT in -> Kafka records ------------------------------------------------------------------------------

    /** A telemetry message -> the seed's DEVICE_TELEMETRY event (body), key and topic headers set. */
    public void telemetry(@Body byte[] body, @Header("siteId") String siteId, @Header("serialNumber") String serial,
                          Exchange exchange) throws Exception {
        EmsDevices.Device d = device(siteId, serial, exchange);
        JsonNode p = payloads.tree(body);
        Instant ts = timestamp(p);
        ObjectNode data = JSON.createObjectNode();
        int present = 0;
        for (String f : TELEMETRY_FIELDS) {
            JsonNode v = p.get(f);
            if (v == null || v.isNull()) {
                data.putNull(f);
                continue;
            }
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw new InvalidMessageException("field '" + f + "' must be a finite number, got " + abbreviate(v.toString()));
            }
            data.put(f, v.doubleValue());
            present++;
        }
        if (present == 0) {
            throw new InvalidMessageException("telemetry has none of " + String.join(", ", TELEMETRY_FIELDS));
        }
        ObjectNode event = JSON.createObjectNode();
        event.put("deviceId", d.deviceId());
        event.put("serialNumber", d.serialNumber());
        event.put("siteId", d.siteId());
        event.put("deviceType", d.deviceType());
        event.set("telemetryData", data);
        event.put("timestamp", ts.toString());
        event.put("eventType", "DEVICE_TELEMETRY");
        record(exchange, telemetryTopic, serial, serial + "@" + ts + "#telemetry", event.toString());
    }

    /** A status message: stored; a change becomes the seed's DEVICE_STATUS_CHANGE event (body) unless already sent. */
    public void status(@Body byte[] body, @Header("siteId") String siteId, @Header("serialNumber") String serial,
                       Exchange exchange) throws Exception {
        EmsDevices.Device d = device(siteId, serial, exchange);
        JsonNode p = payloads.tree(body);
        JsonNode s = p.get("status");
        if (s == null || !s.isTextual()) {
            throw new InvalidMessageException("field 'status' is missing or not a string");
        }
        String status = s.asText().strip().toUpperCase(Locale.ROOT);
        if (!STATUSES.contains(status)) {
            throw new InvalidMessageException("field 'status' must be one of " + String.join(", ", STATUSES) + ", got '"
                                              + JsonFields.printable(s.asText()) + "'");
        }
        JsonNode r = p.get("reason");
        if (r != null && !r.isNull() && (!r.isTextual() || r.asText().length() > 4096)) {
            throw new InvalidMessageException("field 'reason' must be a string of at most 4096 characters");
        }
        String reason = r == null || r.isNull() ? null : r.asText();
        Instant ts = timestamp(p);
        retry.run(exchange.getContext(), "EMS status of " + serial, () -> {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    storeStatus(c, d, status, reason, ts);
                    c.commit();
                } catch (Exception e) {
                    Transactions.rollback(c, e);
                    throw e;
                }
            }
            return null;
        });
        Object[] pending = retry.run(exchange.getContext(), "EMS status events", () -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement st = c.prepareStatement("SELECT id, payload FROM ems_status_events WHERE serial_number = ? "
                                                           + "AND ts = ? AND sent_at IS NULL")) {
                st.setString(1, serial);
                st.setTimestamp(2, Timestamp.from(ts));
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? new Object[] {rs.getLong(1), rs.getString(2)} : null;
                }
            }
        });
        if (pending == null) {
            exchange.setProperty(NOTHING_TO_SEND, true);
            return;
        }
        exchange.setProperty(STATUS_EVENT_ID, pending[0]);
        record(exchange, statusTopic, serial, serial + "@" + ts + "#status", (String) pending[1]);
    }

    private void storeStatus(Connection c, EmsDevices.Device d, String status, String reason, Instant ts) throws Exception {
        String previous;
        try (PreparedStatement st = c.prepareStatement("SELECT status, status_at FROM ems_devices WHERE serial_number = ? FOR UPDATE")) {
            st.setString(1, d.serialNumber());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                previous = rs.getString(1);
                Timestamp at = rs.getTimestamp(2);
                if (at != null && !ts.isAfter(at.toInstant())) {
                    return; // stale or a redelivery: the stored status is as new or newer
                }
            }
        }
        try (PreparedStatement st = c.prepareStatement("UPDATE ems_devices SET status = ?, status_at = ? WHERE serial_number = ?")) {
            st.setString(1, status);
            st.setTimestamp(2, Timestamp.from(ts));
            st.setString(3, d.serialNumber());
            st.executeUpdate();
        }
        if (status.equals(previous)) {
            return; // unchanged: no event
        }
        ObjectNode event = JSON.createObjectNode();
        event.put("deviceId", d.deviceId());
        event.put("serialNumber", d.serialNumber());
        event.put("siteId", d.siteId());
        event.put("previousStatus", previous);
        event.put("newStatus", status);
        event.put("timestamp", ts.toString());
        event.put("eventType", "DEVICE_STATUS_CHANGE");
        event.put("reason", reason);
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO ems_status_events (serial_number, ts, previous_status, new_status, reason, payload) "
                + "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
            st.setString(1, d.serialNumber());
            st.setTimestamp(2, Timestamp.from(ts));
            st.setString(3, previous);
            st.setString(4, status);
            st.setString(5, reason);
            st.setString(6, event.toString());
            st.executeUpdate();
        }
        LOG.info("EMS device {} status {} -> {}", d.serialNumber(), previous, status);
    }

    /** Marks the status event just sent (to its topic or its dead-letter topic). */
    public void markSent(@org.apache.camel.ExchangeProperty(STATUS_EVENT_ID) Long id, Exchange exchange) throws Exception {
        if (id == null) {
            return;
        }
        retry.run(exchange.getContext(), "EMS status event sent", () -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement st = c.prepareStatement("UPDATE ems_status_events SET sent_at = now() WHERE id = ?")) {
                st.setLong(1, id);
                st.executeUpdate();
            }
            return null;
        });
    }

    private void record(Exchange exchange, String topic, String key, String messageId, String value) {
        exchange.getMessage().setBody(value);
        exchange.setProperty(TOPIC, topic);
        exchange.getMessage().setHeader(KafkaConstants.KEY, key);
        exchange.getMessage().setHeader(MESSAGE_ID, messageId);
    }

    private EmsDevices.Device device(String siteId, String serial, Exchange exchange) throws Exception {
        if (serial == null || !JsonFields.ID.matcher(serial).matches()) {
            throw new InvalidMessageException("serial number in the topic must be 1-64 letters, digits, '.', '_' or '-'");
        }
        long site;
        try {
            site = Long.parseLong(String.valueOf(siteId));
        } catch (NumberFormatException e) {
            throw new InvalidMessageException("site id '" + JsonFields.printable(String.valueOf(siteId)) + "' in the topic is not a number");
        }
        return retry.run(exchange.getContext(), "EMS device " + serial, () -> devices.resolve(serial, site));
    }

    // ---- Kafka failures (circuit breaker fallback) -------------------------------------------------------------

    /**
     * Called when the Kafka send failed or the breaker is open. Kafka unavailable: KafkaUnavailableException (the
     * route waits and tries again; nothing is acked). The record itself refused: 3 more attempts with exponential
     * backoff, then the record goes to {topic}-dlt with the reason in its headers.
     */
    public void kafkaFailed(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (exchange.getContext().isStopping()) {
            // the producer is closing with the rest of gridwire: nothing to conclude about the record
            throw new RedeliverLaterException("Kafka send interrupted, gridwire is stopping: "
                                              + (cause == null ? "no answer" : SinkFailures.describe(cause)));
        }
        if (cause == null || cause instanceof CallNotPermittedException || SinkFailures.isTransient(cause)) {
            throw new KafkaUnavailableException("Kafka unavailable (circuit breaker " + breaker.getState() + "): "
                                                + (cause == null ? "no answer" : SinkFailures.describe(cause)), cause);
        }
        String topic = exchange.getProperty(TOPIC, String.class);
        String uri = "kafka:" + topic + "?" + exchange.getContext().resolvePropertyPlaceholders("{{sites.kafka.producerOptions}}");
        long delay = 200;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Thread.sleep(delay);
            delay *= 2;
            Exchange copy = exchange.copy();
            copy.setException(null);
            Exchange result = template(exchange).send(uri, copy);
            if (result.getException() == null) {
                LOG.info("Kafka {}: record {} sent on retry {}", topic, exchange.getMessage().getHeader(MESSAGE_ID), attempt);
                return;
            }
            cause = result.getException();
            if (exchange.getContext().isStopping()) {
                throw new RedeliverLaterException("Kafka send interrupted, gridwire is stopping: " + SinkFailures.describe(cause));
            }
            if (SinkFailures.isTransient(cause)) {
                throw new KafkaUnavailableException("Kafka unavailable: " + SinkFailures.describe(cause), cause);
            }
        }
        String reason = SinkFailures.describe(cause);
        String exceptionType = cause.getClass().getName();
        String dlt = topic + "-dlt";
        String key = exchange.getMessage().getHeader(KafkaConstants.KEY, String.class);
        retry.run(exchange.getContext(), "Kafka " + dlt, () -> {
            deadLetterTopics.send(dlt, key, exchange.getMessage().getHeader(MESSAGE_ID, String.class),
                    exchange.getMessage().getBody(String.class), Map.of("gridwire_failure_reason", reason,
                            "gridwire_failure_exception", exceptionType, "gridwire_original_topic", topic));
            return null;
        });
        LOG.warn("Kafka {} refused record {} 4 times ({}); sent to {}", topic, exchange.getMessage().getHeader(MESSAGE_ID),
                reason, dlt);
    }

    private ProducerTemplate template(Exchange exchange) {
        if (template == null) {
            synchronized (this) {
                if (template == null) {
                    template = exchange.getContext().createProducerTemplate();
                }
            }
        }
        return template;
    }

    // ---- commands (REST -> MQTT QoS 2) -------------------------------------------------------------------------

    /** POST /api/v1/sites/{siteId}/devices/{serialNumber}/commands {"command": "...", "parameters": {...}} -> 202. */
    public void command(Exchange e) throws Exception {
        String siteText = Http.path(e, "siteId");
        String serial = Http.path(e, "serialNumber");
        Map<String, Object> body = Http.body(e);
        JsonFields f = new JsonFields(body, Set.of("command", "parameters"));
        String command = f.text("command", 64, true);
        if (!command.matches("[A-Za-z][A-Za-z0-9_]{0,63}")) {
            throw ApiException.badRequest("field 'command' must be letters, digits and '_' (e.g. SET_POWER_LIMIT)");
        }
        Object params = body.get("parameters");
        if (params != null && !(params instanceof Map)) {
            throw ApiException.badRequest("field 'parameters' must be an object");
        }
        long site;
        try {
            site = Long.parseLong(siteText);
        } catch (NumberFormatException ex) {
            throw ApiException.notFound("unknown site '" + JsonFields.printable(String.valueOf(siteText)) + "'");
        }
        EmsDevices.Device d;
        try {
            d = devices.resolve(serial, site);
        } catch (InvalidMessageException ex) {
            throw ApiException.notFound("no device '" + JsonFields.printable(String.valueOf(serial)) + "' on site " + site);
        }
        UUID id = UUID.randomUUID();
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("commandId", id.toString());
        message.put("command", command);
        message.put("parameters", params == null ? Map.of() : params);
        message.put("timestamp", Instant.now().toString());
        String payload = JSON.writeValueAsString(message);
        String topic = commandTopic.replace("{siteId}", String.valueOf(site)).replace("{serialNumber}", d.serialNumber());
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("INSERT INTO ems_commands (id, site_id, serial_number, command, status) "
                                                       + "VALUES (?, ?, ?, ?::jsonb, 'pending')")) {
            st.setObject(1, id);
            st.setLong(2, site);
            st.setString(3, d.serialNumber());
            st.setString(4, payload);
            st.executeUpdate();
        }
        String status;
        String error = null;
        try {
            commands.publish(topic, payload, 2);
            status = "published";
        } catch (Exception ex) {
            status = "failed";
            error = SinkFailures.describe(ex);
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("UPDATE ems_commands SET status = ?, error = ?, "
                                                       + "published_at = CASE WHEN ? THEN now() END WHERE id = ?")) {
            st.setString(1, status);
            st.setString(2, error);
            st.setBoolean(3, error == null);
            st.setObject(4, id);
            st.executeUpdate();
        }
        if (error != null) {
            throw new ApiException(503, "command " + id + " not delivered to the broker: " + error);
        }
        LOG.info("EMS command {} {} published to {} (QoS 2)", id, command, topic);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("commandId", id.toString());
        out.put("status", status);
        out.put("topic", topic);
        Http.respond(e, 202, out);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static Instant timestamp(JsonNode p) throws InvalidMessageException {
        return io.gridwire.mqtt.PayloadTimestamps.of(p);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
