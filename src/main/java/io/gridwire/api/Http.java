package io.gridwire.api;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * JSON in and out of the REST API: {@link #object} parses a request body, {@link #respond} writes an answer (used by
 * {@link ApiReplies} for a returned {@link Reply} and by {@link ApiErrors} for a refusal or failure).
 */
public final class Http {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest request body accepted. */
    private static final int MAX_BODY = 64 * 1024;

    private Http() {
    }

    /**
     * A request body (as received, e.g. bound with {@code @Body String}) as a JSON object, keys in their order.
     *
     * @param text the raw request body; null when there is none
     * @return the parsed object (never null)
     * @throws ApiException 400 if it is missing, blank, not JSON or not an object; 413 if longer than 64 KiB
     */
    public static Map<String, Object> object(String text) {
        if (text == null || text.isBlank()) {
            throw ApiException.badRequest("request body must be a JSON object");
        }
        if (text.length() > MAX_BODY) {
            throw new ApiException(413, "request body larger than " + MAX_BODY + " bytes");
        }
        try {
            Map<String, Object> m = JSON.readValue(text, new TypeReference<Map<String, Object>>() {
            });
            if (m == null) {
                throw ApiException.badRequest("request body must be a JSON object");
            }
            return m;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("request body is not a JSON object: " + e.getOriginalMessage());
        }
    }

    /**
     * Answers with a status and a JSON body (null: no body). Request headers are dropped first so that none of
     * them (Authorization in particular) is echoed back as a response header.
     */
    public static void respond(Exchange exchange, int status, Object body) {
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        if (body == null) {
            m.setBody(null);
            return;
        }
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            m.setBody(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write response as JSON", e);
        }
    }
}
