package io.gridwire.sites;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.message.SinkFailures;
import io.gridwire.message.Text;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 003's device commands (seed 003): from REST to the device over MQTT at QoS 2, each recorded
 * in ems_commands.
 */
public class EmsCommands {

    private static final Logger LOG = LoggerFactory.getLogger(EmsCommands.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final EmsDevices devices;
    private final MqttSender commands;
    private final String commandTopic;

    /** @param commandTopic sites.commandTopic, with {siteId} and {serialNumber} */
    public EmsCommands(DataSource dataSource, EmsDevices devices, MqttSender commands, String commandTopic) {
        this.dataSource = dataSource;
        this.devices = devices;
        this.commands = commands;
        this.commandTopic = commandTopic;
    }

    /**
     * POST /api/v1/sites/{siteId}/devices/{serialNumber}/commands {"command": "...", "parameters": {...}}: responds
     * 202 with commandId, status (published) and topic once the broker took the command at QoS 2.
     *
     * @param siteText   the path's site id
     * @param serial     the path's serial number
     * @param bodyText   the raw request body
     * @return 202 with {commandId, status, topic}
     * @throws ApiException 400/413 for an invalid body, 404 for an unknown site or device, 503 if the broker did not
     *                      take it
     * @throws java.sql.SQLException PostgreSQL unavailable (nothing was published)
     */
    public Reply command(@Header("siteId") String siteText, @Header("serialNumber") String serial,
                         @Body String bodyText) throws Exception {
        Map<String, Object> body = Http.object(bodyText);
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
        return Reply.accepted(out);
    }
}
