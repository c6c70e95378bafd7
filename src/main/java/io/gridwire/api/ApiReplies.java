package io.gridwire.api;

import java.util.Map;

import org.apache.camel.Exchange;

/**
 * Writes the {@link Reply} a REST operation returned as its HTTP answer, in one place for every operation: the
 * route configuration of the REST operations (error-handling.camel.yaml) calls {@link #write} as an onCompletion
 * before the consumer answers (bean {@code apiReplies}).
 */
public class ApiReplies {

    private final ApiErrors errors;

    /** @param errors answers a reply that cannot be written (as any other failure: 500) */
    public ApiReplies(ApiErrors errors) {
        this.errors = errors;
    }

    /**
     * If the body is a {@link Reply}: drops every request header (so none, Authorization in particular, is echoed
     * back), sets {@code CamelHttpResponseCode} to its status, its extra headers and, unless the body is null (e.g.
     * 204), {@code Content-Type: application/json} and the body as JSON. Any other body (the OpenAPI document, an
     * error answer already written by {@link ApiErrors}) is left as it is. A body Jackson cannot write becomes the
     * 500 answer of {@link ApiErrors}.
     */
    public void write(Exchange exchange) {
        if (!(exchange.getMessage().getBody() instanceof Reply reply)) {
            return;
        }
        try {
            Http.respond(exchange, reply.status(), reply.body());
        } catch (RuntimeException e) {
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, e);
            errors.respond(exchange);
            return;
        }
        for (Map.Entry<String, String> h : reply.headers().entrySet()) {
            exchange.getMessage().setHeader(h.getKey(), h.getValue());
        }
    }
}
