package io.gridwire.platform;

import io.gridwire.api.ApiAuth;
import io.gridwire.api.ApiException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The dead-letter API's refusals before any SQL (no Camel, no database, no broker: without a data source, a call that
 * got as far as the database would fail with a NullPointerException instead).
 */
class DeadLetterApiTest {

    private static final String TOKEN = "Bearer secret";
    private final DeadLetterApi api = new DeadLetterApi(null, null, new ApiAuth("secret"));

    @Test
    void listingNeedsTheBearerToken() {
        assertEquals(401, assertThrows(ApiException.class,
                () -> api.list(null, null, null, null, null, null, null)).status());
        assertEquals(401, assertThrows(ApiException.class,
                () -> api.list("Bearer wrong", null, null, null, null, null, null)).status());
    }

    @Test
    void invalidFiltersAndPagesAre400() {
        assertEquals("'since' must be an ISO-8601 instant (e.g. 2026-01-31T00:00:00Z)", assertThrows(ApiException.class,
                () -> api.list(TOKEN, null, null, "yesterday", null, null, null)).getMessage());
        assertEquals("'limit' must be a whole number from 1 to 500", assertThrows(ApiException.class,
                () -> api.list(TOKEN, null, null, null, null, "501", null)).getMessage());
        assertEquals(400, assertThrows(ApiException.class,
                () -> api.list(TOKEN, null, null, null, null, null, "-1")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.replayMatching("{\"route\": 1}")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.replayMatching("{\"until\": \"later\"}")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.replayMatching(null)).status());
    }

    @Test
    void anIdThatIsNoNumberIsAnUnknownDeadLetter() {
        assertEquals("unknown dead letter 'x'", assertThrows(ApiException.class, () -> api.replay("x")).getMessage());
        assertEquals(404, assertThrows(ApiException.class, () -> api.discard(null)).status());
    }
}
