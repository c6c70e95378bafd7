package io.gridwire.simulator;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Seed 000's device type table: the base power (kW) and voltage (V) a mock device of each type gets. */
public final class DeviceTypes {

    public record Base(double powerKw, double voltage) {
    }

    public static final Map<String, Base> TABLE;

    static {
        Map<String, Base> t = new LinkedHashMap<>();
        t.put("hvac", new Base(25.0, 240.0));
        t.put("lighting", new Base(8.5, 240.0));
        t.put("server", new Base(45.0, 240.0));
        t.put("industrial", new Base(120.0, 480.0));
        t.put("appliance", new Base(15.0, 240.0));
        t.put("sensor", new Base(2.0, 12.0));
        t.put("meter", new Base(5.0, 240.0));
        t.put("gateway", new Base(10.0, 240.0));
        t.put("controller", new Base(12.0, 240.0));
        TABLE = java.util.Collections.unmodifiableMap(t);
    }

    private DeviceTypes() {
    }

    public static String normalise(String type) {
        return type == null ? null : type.strip().toLowerCase(Locale.ROOT);
    }

    public static boolean known(String type) {
        return TABLE.containsKey(normalise(type));
    }
}
