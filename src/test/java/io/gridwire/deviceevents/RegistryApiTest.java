package io.gridwire.deviceevents;

import io.gridwire.api.ApiException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The registry API refuses a body that is no JSON object before it touches the registry (no Camel, no database). */
class RegistryApiTest {

    /** Without registry or outbox: any call that got past the body check would fail with a NullPointerException. */
    private final RegistryApi api = new RegistryApi(null, null);

    @Test
    void aMissingBlankOrNonObjectBodyIs400() {
        assertEquals(400, assertThrows(ApiException.class, () -> api.create(null)).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.create(" ")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.create("[\"a\"]")).status());
        assertEquals(400, assertThrows(ApiException.class, () -> api.update("7", "{\"name\": ")).status());
    }

    @Test
    void aBodyOver64KiBIs413() {
        String big = "{\"name\": \"" + "x".repeat(64 * 1024) + "\"}";
        assertEquals(413, assertThrows(ApiException.class, () -> api.create(big)).status());
    }
}
