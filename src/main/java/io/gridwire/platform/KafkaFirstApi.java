package io.gridwire.platform;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.api.Reply;
import io.gridwire.sink.KafkaIngestBuffer;
import org.apache.camel.Body;

/**
 * Kafka-first mode over REST (gridwire's own API, issue 17): the sink workers' lag and catch-up rate per ingest route,
 * and replaying a route's raw records from a time through its sinks (backfill after a fix, a sink restored from an
 * older backup; the writes are idempotent, so what had landed lands once). Each method returns the {@link Reply} the
 * REST route configuration writes; refusals are thrown as {@link ApiException}.
 */
public class KafkaFirstApi {

    private final KafkaIngestBuffer buffer;

    /** @param buffer kafka-first mode's buffer; null in direct mode (every call then says so) */
    public KafkaFirstApi(KafkaIngestBuffer buffer) {
        this.buffer = buffer;
    }

    /**
     * GET /api/v1/kafka-first: 200 with the mode and, per ingest route this instance reads, its raw topic, consumer
     * group, lag (records the group has not committed, over every instance's partitions), catch-up rate (records/s of
     * this instance's worker), committed (by this instance since it started), whether the worker runs, its last error
     * and a running replay's progress.
     */
    public Reply status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", buffer == null ? "direct" : "kafka-first");
        List<Map<String, Object>> workers = new ArrayList<>();
        if (buffer != null) {
            for (KafkaIngestBuffer.WorkerStatus w : buffer.status()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("route", w.route());
                r.put("topic", w.topic());
                r.put("group", w.group());
                r.put("lag", w.lag());
                r.put("catch_up_rate", Math.round(w.ratePerSecond()));
                r.put("committed", w.committed());
                r.put("running", w.alive());
                r.put("last_error", w.lastError());
                r.put("replay", w.replay());
                workers.add(r);
            }
        }
        m.put("workers", workers);
        return Reply.ok(m);
    }

    /**
     * POST /api/v1/kafka-first/replay {"route": ingest route id, "from": ISO-8601 instant}: 202 with what is going to be
     * re-applied (offsets per partition, record count); the replay runs in the background and logs when done.
     *
     * @throws ApiException 400 for a missing or malformed field, 404 for a route this instance does not read, 409 in
     *                      direct mode or while a replay of the route runs
     */
    public Reply replay(@Body String body) {
        if (buffer == null) {
            throw ApiException.conflict("gridwire runs in direct mode: nothing is stored in Kafka to replay (GRIDWIRE_MODE=kafka-first)");
        }
        JsonFields f = new JsonFields(Http.object(body), Set.of("route", "from"));
        String route = f.text("route", 200, true);
        Instant from;
        try {
            from = Instant.parse(f.text("from", 64, true));
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("field 'from' must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z");
        }
        KafkaIngestBuffer.Replay r;
        try {
            r = buffer.replay(route, from);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound(e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("route", r.route());
        m.put("topic", r.topic());
        m.put("from", r.from().toString());
        Map<String, Object> offsets = new LinkedHashMap<>();
        r.offsets().forEach((p, o) -> offsets.put(String.valueOf(p), Map.of("from", o[0], "to", o[1])));
        m.put("offsets", offsets);
        m.put("records", r.records());
        return Reply.accepted(m);
    }
}
