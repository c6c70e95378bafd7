package io.gridwire.autocore;

import java.util.Map;

import io.gridwire.api.ApiException;
import io.gridwire.api.Reply;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The AutoCore REST methods without Camel or services: the health answer from its inputs, and the relay update's
 * refusals before any SQL (without a data source a call that got as far as the database would fail otherwise).
 */
class AutocoreApiTest {

    private final AutocoreMaintenance maintenance = new AutocoreMaintenance(null, 30, 1000, 120, 10);

    @Test
    void healthIs200WhileConnectedAndNothingIsHeldBack() {
        Reply r = new AutocoreHealth(() -> true, () -> null, () -> 3, () -> null).health();
        assertEquals(200, r.status());
        Map<?, ?> body = (Map<?, ?>) r.body();
        assertEquals("healthy", body.get("status"));
        assertFalse(body.containsKey("held_back"));
        assertNull(body.get("last_message_time"));
        assertEquals(0L, ((Number) body.get("messages_processed")).longValue());
        assertEquals(3L, body.get("errors_count"));
    }

    @Test
    void healthIs503WhenHeldBackOrDisconnected() {
        Reply held = new AutocoreHealth(() -> true, () -> "postgres: down", () -> 0, () -> null).health();
        assertEquals(503, held.status());
        assertEquals("postgres: down", ((Map<?, ?>) held.body()).get("held_back"));
        assertEquals(503, new AutocoreHealth(() -> false, () -> null, () -> 0, () -> null).health().status());
    }

    @Test
    void aRelayUpdateIsRefusedBeforeAnySql() {
        assertEquals("relay index must be a number", assertThrows(ApiException.class,
                () -> maintenance.updateRelay("ESP32_001", "one", "{}")).getMessage());
        assertEquals(400, assertThrows(ApiException.class,
                () -> maintenance.updateRelay("ESP32_001", "0", "{\"critical\": \"yes\"}")).status());
        assertEquals(400, assertThrows(ApiException.class,
                () -> maintenance.updateRelay("ESP32_001", "0", "{\"state\": true}")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> maintenance.updateRelay("ESP32_001", "0", null)).status());
    }
}
