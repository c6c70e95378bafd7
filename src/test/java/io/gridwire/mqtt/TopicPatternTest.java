package io.gridwire.mqtt;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named topic levels: the subscription filter and the headers a topic yields come from one pattern. */
class TopicPatternTest {

    @Test
    void namedLevelsAreSubscribedAsPlusAndReadByName() {
        TopicPattern p = TopicPattern.of("plants/plant7/meters/{deviceId}/reading");
        assertEquals(List.of("plants/plant7/meters/+/reading"), p.filters());
        Map<String, Object> h = new HashMap<>();
        assertTrue(p.read("plants/plant7/meters/m-12/reading", h));
        assertEquals(Map.of("deviceId", "m-12"), h);
        assertFalse(p.read("plants/plant8/meters/m-12/reading", new HashMap<>()), "literal levels must match");
        assertFalse(p.read("plants/plant7/meters/m-12/reading/x", new HashMap<>()), "as many levels as the pattern");
    }

    @Test
    void aWordConstrainedLevelTellsWhichOfSeveralPatternsMatched() {
        TopicPattern p = TopicPattern.of("sites/{siteId}/devices/{serialNumber}/{siteKind:telemetry},"
                                         + "sites/{siteId}/devices/{serialNumber}/{siteKind:status}");
        assertEquals(List.of("sites/+/devices/+/telemetry", "sites/+/devices/+/status"), p.filters());
        Map<String, Object> h = new HashMap<>();
        assertTrue(p.read("sites/s1/devices/SN-9/status", h));
        assertEquals(Map.of("siteId", "s1", "serialNumber", "SN-9", "siteKind", "status"), h);
        assertFalse(p.read("sites/s1/devices/SN-9/commands", new HashMap<>()));
    }

    @Test
    void anEmptyLevelIsNullAndPlainFiltersNameNothing() {
        Map<String, Object> h = new HashMap<>();
        assertTrue(TopicPattern.of("energy/devices/{deviceId}/data").read("energy/devices//data", h));
        assertTrue(h.containsKey("deviceId") && h.get("deviceId") == null);
        TopicPattern plain = TopicPattern.of("energy/devices/+/data,energy/#");
        assertFalse(plain.named());
        assertEquals(List.of("energy/devices/+/data", "energy/#"), plain.filters());
        assertTrue(plain.read("energy/a/b/c", new HashMap<>()));
    }

    @Test
    void aSharedSubscriptionIsReadWithoutItsPrefix() {
        TopicPattern p = TopicPattern.of("$share/gridwire/energy/devices/{deviceId}/data");
        assertEquals(List.of("$share/gridwire/energy/devices/+/data"), p.filters());
        Map<String, Object> h = new HashMap<>();
        assertTrue(p.read("energy/devices/m-1/data", h));
        assertEquals(Map.of("deviceId", "m-1"), h);
    }

    @Test
    void rejectsMisplacedWildcardsAndMalformedNames() {
        for (String bad : List.of("energy/#/data", "energy/dev-{id}/data", "energy/{x:#}/data", "energy/{x:}/data",
                "energy/{:x}/data", "energy/{x:+}/data")) {
            assertThrows(IllegalArgumentException.class, () -> TopicPattern.of(bad), bad);
        }
    }
}
