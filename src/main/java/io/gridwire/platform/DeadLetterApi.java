package io.gridwire.platform;

import io.gridwire.message.Text;

import io.gridwire.api.JsonFields;

import io.gridwire.api.ApiException;

import io.gridwire.api.ApiAuth;

import io.gridwire.api.Http;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.gridwire.mqtt.MqttSender;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead letters users can act on: list them (filtered by route, reason, time; paged), replay one or many (the
 * stored payload is published again, unchanged, to its topic, so it goes through its route again — after a fix
 * it lands, otherwise it comes back as a new dead letter), or discard them. Every call needs the bearer token:
 * dead letters hold device payloads. gridwire's own API (no seed defines it). Each method takes its parameters as
 * sent ({@code @Header}: path and query parameters; {@code @Body}: the raw request body) and returns the
 * {@link Reply} the REST route configuration writes; refusals are thrown as {@link ApiException}.
 */
public class DeadLetterApi {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterApi.class);
    private static final int MAX_PAGE = 500;

    private final DataSource dataSource;
    private final MqttSender mqtt;
    private final ApiAuth auth;

    public DeadLetterApi(DataSource dataSource, MqttSender mqtt, ApiAuth auth) {
        this.dataSource = dataSource;
        this.mqtt = mqtt;
        this.auth = auth;
    }

    /**
     * GET /api/v1/dead-letters?route=&reason=&since=&until=&limit=&offset=: the matching dead letters, newest first.
     *
     * @param authorization the Authorization header (this read needs the bearer token too)
     * @param route         only this route id (blank: any)
     * @param reason        only reasons containing this (blank: any)
     * @param since         only received at or after this ISO-8601 instant (blank: no bound)
     * @param until         only received before this ISO-8601 instant (blank: no bound)
     * @param limit         page size, 1-500 (blank: 100)
     * @param offset        how many to skip, 0 or more (blank: 0)
     * @return 200 with {total, limit, offset, items: [{id, route_id, topic, reason, exception_type, received_at,
     *         payload_bytes, payload_text (first 1000 characters)}]}
     * @throws ApiException 401 without the bearer token, 400 for an invalid instant, limit or offset
     * @throws SQLException PostgreSQL unavailable
     */
    public Reply list(@Header("Authorization") String authorization, @Header("route") String route,
                      @Header("reason") String reason, @Header("since") String since, @Header("until") String until,
                      @Header("limit") String limit, @Header("offset") String offset) throws SQLException {
        // reads are open elsewhere, but dead letters hold device payloads (changes are checked by rest-api)
        auth.check(authorization, "GET /api/v1/dead-letters");
        Filter f = Filter.of(route, reason, since, until);
        int pageSize = intParam("limit", limit, 100, 1, MAX_PAGE);
        int skip = intParam("offset", offset, 0, 0, Integer.MAX_VALUE);
        List<Map<String, Object>> items = new ArrayList<>();
        long total;
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement st = f.prepare(c, "SELECT count(*) FROM dead_letters", "")) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            try (PreparedStatement st = f.prepare(c, "SELECT id, route_id, topic, reason, exception_type, received_at, "
                                                     + "length(payload) AS size, left(payload_text, 1000) AS payload_text FROM dead_letters",
                    " ORDER BY id DESC LIMIT " + pageSize + " OFFSET " + skip)) {
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("id", rs.getLong("id"));
                        m.put("route_id", rs.getString("route_id"));
                        m.put("topic", rs.getString("topic"));
                        m.put("reason", rs.getString("reason"));
                        m.put("exception_type", rs.getString("exception_type"));
                        m.put("received_at", rs.getTimestamp("received_at").toInstant().toString());
                        m.put("payload_bytes", rs.getObject("size"));
                        m.put("payload_text", rs.getString("payload_text"));
                        items.add(m);
                    }
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", total);
        out.put("limit", pageSize);
        out.put("offset", skip);
        out.put("items", items);
        return Reply.ok(out);
    }

    /**
     * POST /api/v1/dead-letters/{id}/replay: publishes the stored payload to its topic again, then removes it.
     *
     * @param idText the path's dead letter id
     * @return 202 with {id, topic, status: "replayed"}
     * @throws ApiException 404 for an unknown id, 409 for one not from an MQTT topic, 503 if the broker did not take it
     */
    public Reply replay(@Header("id") String idText) throws Exception {
        long id = id(idText);
        Map<String, Object> result = replayOne(id);
        if (result == null) {
            throw ApiException.notFound("unknown dead letter " + id);
        }
        return Reply.accepted(result);
    }

    /**
     * POST /api/v1/dead-letters/replay {"route", "reason", "since", "until", "limit"}: replays every match (oldest
     * first, at most limit, default 10000); one not from an MQTT topic is skipped.
     *
     * @param body the raw request body
     * @return 202 with {matched, replayed, skipped_without_topic}
     * @throws ApiException 400/413 for an invalid body, 503 if the broker did not take one
     */
    public Reply replayMatching(@Body String body) throws Exception {
        JsonFields f = new JsonFields(Http.object(body), Set.of("route", "reason", "since", "until", "limit"));
        Filter filter = Filter.of(f.text("route", 200, false), f.text("reason", 500, false), f.text("since", 64, false),
                f.text("until", 64, false));
        Double limit = f.number("limit", 1, 100_000, false);
        List<Long> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = filter.prepare(c, "SELECT id FROM dead_letters", " ORDER BY id LIMIT "
                                                                                     + (limit == null ? 10_000 : limit.intValue()));
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        int replayed = 0;
        int skipped = 0;
        for (long id : ids) {
            try {
                if (replayOne(id) != null) {
                    replayed++;
                }
            } catch (ApiException noTopic) {
                skipped++;
            }
        }
        return Reply.accepted(Map.of("matched", ids.size(), "replayed", replayed, "skipped_without_topic", skipped));
    }

    /**
     * DELETE /api/v1/dead-letters/{id}.
     *
     * @param idText the path's dead letter id
     * @return 204
     * @throws ApiException 404 for an unknown id
     */
    public Reply discard(@Header("id") String idText) throws SQLException {
        long id = id(idText);
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("DELETE FROM dead_letters WHERE id = ?")) {
            st.setLong(1, id);
            if (st.executeUpdate() == 0) {
                throw ApiException.notFound("unknown dead letter " + id);
            }
        }
        LOG.info("Dead letter {} discarded", id);
        return Reply.noContent();
    }

    /** Publishes the stored payload to its topic again, then removes the dead letter; null if there is none. */
    private Map<String, Object> replayOne(long id) throws Exception {
        String topic;
        byte[] payload;
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("SELECT topic, payload FROM dead_letters WHERE id = ?")) {
            st.setLong(1, id);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                topic = rs.getString(1);
                payload = rs.getBytes(2);
            }
        }
        if (topic == null) {
            throw ApiException.conflict("dead letter " + id + " did not come from an MQTT topic; it cannot be replayed");
        }
        try {
            mqtt.publish(topic, payload == null ? new byte[0] : payload, 1);
        } catch (Exception ex) {
            throw new ApiException(503, "dead letter " + id + " not replayed, the broker did not take it: " + ex.getMessage());
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("DELETE FROM dead_letters WHERE id = ?")) {
            st.setLong(1, id);
            st.executeUpdate();
        }
        LOG.info("Dead letter {} replayed to {}", id, topic);
        return Map.of("id", id, "topic", topic, "status", "replayed");
    }

    /** The filters shared by listing and bulk replay, always as bound parameters. */
    private record Filter(String route, String reason, Instant since, Instant until) {
        static Filter of(String route, String reason, String since, String until) {
            return new Filter(blankToNull(route), blankToNull(reason), instant("since", since), instant("until", until));
        }

        PreparedStatement prepare(Connection c, String select, String tail) throws SQLException {
            PreparedStatement st = c.prepareStatement(select + " WHERE (?::text IS NULL OR route_id = ?) "
                                                      + "AND (?::text IS NULL OR strpos(reason, ?) > 0) "
                                                      + "AND (?::timestamptz IS NULL OR received_at >= ?) "
                                                      + "AND (?::timestamptz IS NULL OR received_at < ?)" + tail);
            st.setString(1, route);
            st.setString(2, route);
            st.setString(3, reason);
            st.setString(4, reason);
            Timestamp s = since == null ? null : Timestamp.from(since);
            Timestamp u = until == null ? null : Timestamp.from(until);
            st.setTimestamp(5, s);
            st.setTimestamp(6, s);
            st.setTimestamp(7, u);
            st.setTimestamp(8, u);
            return st;
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }

        private static Instant instant(String name, String v) {
            if (v == null || v.isBlank()) {
                return null;
            }
            try {
                return Instant.parse(v);
            } catch (DateTimeParseException ex) {
                throw ApiException.badRequest("'" + name + "' must be an ISO-8601 instant (e.g. 2026-01-31T00:00:00Z)");
            }
        }
    }

    private static int intParam(String name, String v, int dflt, int min, int max) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException ex) {
            throw ApiException.badRequest("'" + name + "' must be a whole number from " + min + " to " + max);
        }
    }

    private static long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw ApiException.notFound("unknown dead letter '" + Text.printable(String.valueOf(text)) + "'");
        }
    }
}
