package io.gridwire.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a REST operation answers: an HTTP status, a body written as JSON (null: no body) and any response headers
 * besides Content-Type. REST methods return one; {@link ApiReplies#write} turns it into the HTTP answer for all of
 * them (error-handling.camel.yaml), so the methods can be called and tested without Camel. Refusals are not
 * replies: they are thrown as {@link ApiException} and answered by {@link ApiErrors}.
 *
 * @param status  the HTTP status code
 * @param body    the body, written as JSON by Jackson (maps, lists, strings, numbers, booleans); null for none
 * @param headers extra response headers (never null; empty for none)
 */
public record Reply(int status, Object body, Map<String, String> headers) {

    public Reply {
        headers = Map.copyOf(headers);
    }

    /** A reply with a status and a body (null: no body) and no extra headers. */
    public Reply(int status, Object body) {
        this(status, body, Map.of());
    }

    /** 200 OK with the body. */
    public static Reply ok(Object body) {
        return new Reply(200, body);
    }

    /** 201 Created with the created resource. */
    public static Reply created(Object body) {
        return new Reply(201, body);
    }

    /** 202 Accepted with the body (e.g. a command handed to the broker, a dead letter replayed). */
    public static Reply accepted(Object body) {
        return new Reply(202, body);
    }

    /** 204 No Content: no body. */
    public static Reply noContent() {
        return new Reply(204, null);
    }

    /** A health answer: 200 with the body when healthy, else 503 with it. */
    public static Reply health(boolean healthy, Object body) {
        return new Reply(healthy ? 200 : 503, body);
    }

    /** This reply with one more response header (replacing one of the same name). */
    public Reply withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(status, body, h);
    }
}
