package io.gridwire.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.StringJoiner;

import io.gridwire.support.Sinks;

/**
 * gridwire's topic settings as this gridwire reads them (its environment variable, else its application.properties),
 * moved under a root of the bench run's own, and the topics a device publishes on. Works on the subscription as
 * written, whether its identifier levels are '+' or named ({deviceId}, {siteKind:telemetry}).
 */
final class Topics {

    private static final Properties DEFAULTS = new Properties();

    static {
        try (InputStream in = Topics.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                DEFAULTS.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Topics() {
    }

    /** The setting's value (environment variable named after it, else application.properties), or null. */
    static String setting(String key) {
        String env = key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        return Sinks.env(env, DEFAULTS.getProperty(key));
    }

    /** The same filter(s) one level deeper: the run's level after the first (energy/devices/... -> energy/RUN/devices/...). */
    static String underRoot(String filters, String run) {
        StringJoiner out = new StringJoiner(",");
        for (String f : filters.split(",")) {
            int slash = f.indexOf('/');
            out.add(slash < 0 ? f + "/" + run : f.substring(0, slash) + "/" + run + f.substring(slash));
        }
        return out.toString();
    }

    /** The first of the comma-separated filters whose last level is (or may only be) the given one. */
    static String endingWith(String filters, String last) {
        for (String f : filters.split(",")) {
            String l = f.substring(f.lastIndexOf('/') + 1);
            if (l.equals(last) || l.endsWith(":" + last + "}")) {
                return f;
            }
        }
        throw new IllegalStateException("no filter ending with " + last + " in " + filters);
    }

    /**
     * A topic on the filter: its free levels ('+' or {name}) take the values in order, a level that may only be one
     * word ({name:word}) is that word. Values may hold mqttload's %s (the device id).
     */
    static String topic(String filter, String... values) {
        Deque<String> free = new ArrayDeque<>(List.of(values));
        StringJoiner out = new StringJoiner("/");
        for (String level : filter.split("/", -1)) {
            if (level.equals("+") || level.matches("\\{[A-Za-z_][A-Za-z0-9_]*}")) {
                out.add(free.removeFirst());
            } else if (level.matches("\\{[A-Za-z_][A-Za-z0-9_]*:[^}]+}")) {
                out.add(level.substring(level.indexOf(':') + 1, level.length() - 1));
            } else {
                out.add(level);
            }
        }
        return out.toString();
    }
}
