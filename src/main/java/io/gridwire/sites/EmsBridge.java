package io.gridwire.sites;

import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
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
import io.gridwire.sink.Transactions;
import io.gridwire.message.JsonPayloads;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.message.PayloadParser;
import io.gridwire.sink.KafkaSender;
import io.gridwire.sink.OutboxRecord;
import io.gridwire.message.RedeliverLaterException;
import io.gridwire.message.SinkFailures;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.message.InvalidMessageException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 003's Device Service side: MQTT telemetry and status from sites/{siteId}/devices/{serial}/... become the
 * seed's device-telemetry and device-status Kafka events (key = serial number); commands from REST go to the
 * device over MQTT at QoS 2. A status change is stored with its event in one transaction and the event marked sent
 * once Kafka acknowledged it, so a redelivery sends a pending event but never a second change.
 */
public class EmsBridge implements PayloadParser {

    private static final Logger LOG = LoggerFactory.getLogger(EmsBridge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TELEMETRY_FIELDS = List.of("powerKw", "voltage", "current", "temperature", "efficiency");
    private static final List<String> STATUSES = List.of("ONLINE", "OFFLINE", "MAINTENANCE", "ERROR");

    /** Exchange property of the publish stage: the batch's Kafka records ({@link OutboxRecord}). */
    public static final String RECORDS = "emsKafkaRecords";

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

    /**
     * The route's {@link PayloadParser}, on the MQTT thread (no I/O): a seed 003 telemetry or status payload and the
     * topic levels siteId, serialNumber and siteKind (telemetry|status) -> an {@link EmsMessage}.
     *
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

    /**
     * Sink stage 1 of a batch (PostgreSQL): resolves each message's device (an unknown serial or a device of another
     * site makes that message a dead letter, the others go on) and stores the batch's status messages, in order, in
     * one transaction: a newer status updates ems_devices, a change adds its DEVICE_STATUS_CHANGE event to
     * ems_status_events (the outbox). Each status message then carries its event if that is not sent yet (a
     * redelivery sends a pending event, never a second change).
     *
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries or halves the batch)
     */
    public void store(List<EmsMessage> batch, Exchange exchange) throws Exception {
        boolean statuses = false;
        for (int i = 0; i < batch.size(); i++) {
            EmsMessage m = batch.get(i);
            m.pendingEvent(null, null);
            try {
                m.device(devices.resolve(m.serialNumber(), m.siteId()));
                statuses |= m.kind() == EmsMessage.Kind.STATUS;
            } catch (InvalidMessageException e) {
                m.device(null);
                SinkPipeline.reject(exchange, i, e);
            }
        }
        if (!statuses) {
            return;
        }
        Transactions.run(dataSource, c -> {
            for (EmsMessage m : batch) {
                if (m.kind() == EmsMessage.Kind.STATUS && m.device() != null) {
                    storeStatus(c, m.device(), m.status(), m.reason(), m.timestamp());
                }
            }
            // keyed by status too: two changes with one timestamp (ONLINE then OFFLINE) are two events
            try (PreparedStatement st = c.prepareStatement("SELECT id, payload FROM ems_status_events WHERE serial_number = ? "
                                                           + "AND ts = ? AND new_status = ? AND sent_at IS NULL")) {
                for (EmsMessage m : batch) {
                    if (m.kind() == EmsMessage.Kind.STATUS && m.device() != null) {
                        st.setString(1, m.serialNumber());
                        st.setTimestamp(2, Timestamp.from(m.timestamp()));
                        st.setString(3, m.status());
                        try (ResultSet rs = st.executeQuery()) {
                            if (rs.next()) {
                                m.pendingEvent(rs.getLong(1), rs.getString(2));
                            }
                        }
                    }
                }
            }
        });
    }

    private void storeStatus(Connection c, EmsDevices.Device d, String status, String reason, Instant ts) throws SQLException {
        String previous;
        try (PreparedStatement st = c.prepareStatement("SELECT status, status_at FROM ems_devices WHERE serial_number = ? FOR UPDATE")) {
            st.setString(1, d.serialNumber());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                previous = rs.getString(1);
                Timestamp at = rs.getTimestamp(2);
                // OFFLINE after another status always applies: a last will carries the time the device connected,
                // older than what it sent since, and the broker publishes it when the device is gone
                boolean goneOffline = status.equals("OFFLINE") && "ONLINE".equals(previous);
                if (at != null && ts.isBefore(at.toInstant()) && !goneOffline) {
                    return; // stale: the stored status is newer (equal timestamps: the later arrival wins)
                }
            }
        }
        try (PreparedStatement st = c.prepareStatement(
                "UPDATE ems_devices SET status = ?, status_at = greatest(status_at, ?) WHERE serial_number = ?")) {
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

    /**
     * Sink stage 2, first step: the batch's Kafka records, in order, as Camel messages (key, message-id header and
     * topic each): every telemetry message becomes seed 003's DEVICE_TELEMETRY event on the telemetry topic, every
     * status message with a pending event that DEVICE_STATUS_CHANGE event on the status topic. The records also go to
     * exchange property {@value #RECORDS} ({@link #kafkaFailed}, {@link #markSent}).
     */
    public List<Message> records(List<EmsMessage> batch, Exchange exchange) {
        List<OutboxRecord> records = new ArrayList<>(batch.size());
        for (EmsMessage m : batch) {
            if (m.kind() == EmsMessage.Kind.TELEMETRY) {
                EmsDevices.Device d = m.device();
                ObjectNode event = JSON.createObjectNode();
                event.put("deviceId", d.deviceId());
                event.put("serialNumber", d.serialNumber());
                event.put("siteId", d.siteId());
                event.put("deviceType", d.deviceType());
                event.set("telemetryData", m.telemetry());
                event.put("timestamp", m.timestamp().toString());
                event.put("eventType", "DEVICE_TELEMETRY");
                records.add(new OutboxRecord(telemetryTopic, m.serialNumber(), m.messageId(), event.toString(), null, null));
            } else if (m.eventId() != null) {
                records.add(new OutboxRecord(statusTopic, m.serialNumber(), m.messageId(), m.eventPayload(),
                        "ems_status_events", m.eventId()));
            }
        }
        exchange.setProperty(RECORDS, records);
        return OutboxRecord.messages(exchange.getContext(), records);
    }

    /** Sink stage 2, last step: marks the status events just sent (to their topic or its dead-letter topic). */
    @SuppressWarnings("unchecked")
    public void markSent(Exchange exchange) throws SQLException {
        List<OutboxRecord> records = exchange.getProperty(RECORDS, List.class);
        OutboxRecord.markSent(dataSource, records == null ? List.of() : records);
    }

    // ---- Kafka failures (circuit breaker fallback) -------------------------------------------------------------

    /**
     * Called when the Kafka send of a batch failed or the breaker is open. Kafka unavailable: KafkaUnavailableException
     * (the pipeline waits and tries again; nothing is acked). A batch of several records refused: the refusal is
     * thrown again, so the pipeline sends the batch in halves. A single record refused: 3 more attempts with
     * exponential backoff, then it goes to {topic}-dlt with the reason in its headers, and counts as sent.
     */
    @SuppressWarnings("unchecked")
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
        List<OutboxRecord> records = exchange.getProperty(RECORDS, List.class);
        if (records.size() != 1) {
            throw new KafkaRefusedException("Kafka refused a record of a batch of " + records.size() + ": "
                                            + SinkFailures.describe(cause), cause);
        }
        OutboxRecord record = records.get(0);
        String uri = "kafka:" + record.topic() + "?batchWithIndividualHeaders=true&"
                     + exchange.getContext().resolvePropertyPlaceholders("{{sites.kafka.producerOptions}}");
        long delay = 200;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Thread.sleep(delay);
            delay *= 2;
            Exchange result = template(exchange).send(uri, e -> e.getMessage().setBody(OutboxRecord.messages(e.getContext(), records)));
            if (result.getException() == null) {
                LOG.info("Kafka {}: record {} sent on retry {}", record.topic(), record.messageId(), attempt);
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
        String dlt = record.topic() + "-dlt";
        retry.run(exchange.getContext(), "Kafka " + dlt, () -> {
            deadLetterTopics.send(dlt, record.key(), record.messageId(), record.value(), Map.of("gridwire_failure_reason",
                    reason, "gridwire_failure_exception", exceptionType, "gridwire_original_topic", record.topic()));
            return null;
        });
        LOG.warn("Kafka {} refused record {} 4 times ({}); sent to {}", record.topic(), record.messageId(), reason, dlt);
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
            throw ApiException.notFound("unknown site '" + Text.printable(String.valueOf(siteText)) + "'");
        }
        EmsDevices.Device d;
        try {
            d = devices.resolve(serial, site);
        } catch (InvalidMessageException ex) {
            throw ApiException.notFound("no device '" + Text.printable(String.valueOf(serial)) + "' on site " + site);
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
        return io.gridwire.message.PayloadTimestamps.of(p);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
