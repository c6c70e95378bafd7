package io.gridwire.pdu;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * Seed 004's REST API for power distribution units (bean {@code pduApi}): create, list, get, update, delete (a PDU
 * with sockets is not deleted). Every change is checked and committed, then the live subscriptions follow it.
 *
 * <p>Formats as in seed 004. Each method takes its path parameters as sent ({@code @Header}; an id
 * that is no number is 404) and the raw request body ({@code @Body}, parsed by {@link io.gridwire.api.Http#object}: 400
 * when missing or not a JSON object, 413 over 64 KiB), and returns the {@link Reply} the REST route configuration
 * writes; refusals are thrown as {@link ApiException}.
 */
public class PduApi {

    private static final Set<String> PDU_FIELDS = Set.of("name", "organisation", "department", "location", "mqtt_base_topic");

    private final PduRepository repo;

    PduApi(PduRepository repo) {
        this.repo = repo;
    }

    /**
     * POST /pdus {name, mqtt_base_topic, organisation, department, location}: 201 with the PDU.
     *
     * @throws ApiException 400 for an invalid body
     */
    public Reply createPdu(@Body String body) throws Exception {
        Map<String, Object> b = Http.object(body);
        JsonFields f = new JsonFields(b, PDU_FIELDS);
        String base = SocketConfig.topicPart("mqtt_base_topic", b.get("mqtt_base_topic"));
        long id = repo.write(c -> {
            try (PreparedStatement st = c.prepareStatement("INSERT INTO pdu.power_distribution_units (name, organisation, "
                                                           + "department, location, mqtt_base_topic) VALUES (?,?,?,?,?) RETURNING id")) {
                st.setString(1, f.text("name", 200, true));
                st.setString(2, f.text("organisation", 200, false));
                st.setString(3, f.text("department", 200, false));
                st.setString(4, f.text("location", 200, false));
                st.setString(5, base);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        return Reply.created(repo.pdu(id));
    }

    /** GET /pdus: 200 with every PDU and its sockets, by id. */
    public Reply listPdus() throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : repo.query("SELECT id FROM pdu.power_distribution_units ORDER BY id")) {
            out.add(repo.pdu((Long) r.get("id")));
        }
        return Reply.ok(out);
    }

    /** GET /pdus/{id}: 200 with the PDU and its sockets. @throws ApiException 404 for an unknown id */
    public Reply getPdu(@Header("id") String idText) throws SQLException {
        return Reply.ok(repo.pdu(PduRepository.id(idText)));
    }

    /**
     * PUT /pdus/{id} with the fields to change: 200 with the PDU; a new base topic moves its sockets' subscriptions.
     *
     * @throws ApiException 400 for an invalid body, 404 for an unknown id, 409 if a topic would clash
     */
    public Reply updatePdu(@Header("id") String idText, @Body String body) throws Exception {
        long id = PduRepository.id(idText);
        repo.pdu(id);
        Map<String, Object> b = Http.object(body);
        JsonFields f = new JsonFields(b, PDU_FIELDS);
        String base = b.containsKey("mqtt_base_topic") ? SocketConfig.topicPart("mqtt_base_topic", b.get("mqtt_base_topic")) : null;
        repo.write(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE pdu.power_distribution_units SET name = coalesce(?, name), "
                                                           + "organisation = coalesce(?, organisation), department = coalesce(?, department), "
                                                           + "location = coalesce(?, location), mqtt_base_topic = coalesce(?, mqtt_base_topic), "
                                                           + "updated_at = now() WHERE id = ?")) {
                st.setString(1, f.text("name", 200, false));
                st.setString(2, f.text("organisation", 200, false));
                st.setString(3, f.text("department", 200, false));
                st.setString(4, f.text("location", 200, false));
                st.setString(5, base);
                st.setLong(6, id);
                st.executeUpdate();
            }
            return null;
        });
        return Reply.ok(repo.pdu(id));
    }

    /** DELETE /pdus/{id}: 204. @throws ApiException 404 for an unknown id, 409 while it has sockets */
    public Reply deletePdu(@Header("id") String idText) throws Exception {
        long id = PduRepository.id(idText);
        repo.pdu(id);
        if (!repo.query("SELECT id FROM pdu.sockets WHERE pdu_id = ?", id).isEmpty()) {
            throw ApiException.conflict("PDU " + id + " still has sockets; delete them first");
        }
        repo.write(c -> PduRepository.update(c, "DELETE FROM pdu.power_distribution_units WHERE id = ?", id));
        return Reply.noContent();
    }
}
