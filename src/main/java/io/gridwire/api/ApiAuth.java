package io.gridwire.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a request through only with "Authorization: Bearer {api.token}" (compared in constant time); otherwise
 * 401. The token itself is never logged. The header is removed once checked.
 */
public class ApiAuth implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(ApiAuth.class);

    private final byte[] expected;

    public ApiAuth(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("api.token (API_TOKEN) must be set");
        }
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void process(Exchange exchange) {
        String given = exchange.getMessage().getHeader("Authorization", String.class);
        exchange.getMessage().removeHeader("Authorization");
        check(given, exchange.getMessage().getHeader(Exchange.HTTP_METHOD) + " "
                     + exchange.getMessage().getHeader(Exchange.HTTP_PATH));
    }

    /**
     * Checks an Authorization header's value (for a REST method that authenticates a read itself).
     *
     * @param given   the Authorization header as sent, or null
     * @param request the request for the log ("GET /api/v1/dead-letters"), never the token
     * @throws ApiException 401 unless it is "Bearer {api.token}"
     */
    public void check(String given, String request) {
        byte[] actual = given == null ? new byte[0] : given.strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expected, actual)) {
            LOG.warn("Refused {}: {} bearer token", request, given == null ? "no" : "invalid");
            throw new ApiException(401, "authentication required: send 'Authorization: Bearer <API_TOKEN>'");
        }
    }
}
