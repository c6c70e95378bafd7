package io.gridwire.mqtt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A subscription written with named topic levels, the one place a family says both what it subscribes to and
 * where its identifiers stand: {@code energy/devices/{deviceId}/data} subscribes to the MQTT filter
 * {@code energy/devices/+/data} and, for a message on {@code energy/devices/meter-7/data}, yields
 * {@code deviceId = meter-7}. A level {@code {name}} matches any one level, {@code {name:word}} only the level
 * {@code word} (subscribed as such; the header says which of several patterns matched, e.g.
 * {@code sites/{siteId}/devices/{serialNumber}/{siteKind:telemetry}}), {@code +} and {@code #} keep their MQTT meaning
 * without a name, anything else must match literally. Several patterns are separated by commas; a topic is
 * read by the first pattern it matches.
 */
public final class TopicPattern {

    private record Compiled(String share, String[] levels, String[] names, boolean multiLevel) {
    }

    private final String text;
    private final List<Compiled> patterns = new ArrayList<>();
    private final boolean named;

    private TopicPattern(String text) {
        this.text = text;
        boolean anyName = false;
        for (String p : text.split(",")) {
            if (p.isBlank()) {
                continue;
            }
            String filter = p.strip();
            // a shared subscription ($share/{group}/filter) delivers topics without that prefix
            int shared = filter.startsWith("$share/") ? filter.indexOf('/', 7) + 1 : 0;
            String share = filter.substring(0, shared);
            String[] levels = filter.substring(shared).split("/", -1);
            String[] names = new String[levels.length];
            boolean multi = false;
            for (int i = 0; i < levels.length; i++) {
                String l = levels[i];
                if (l.length() > 2 && l.charAt(0) == '{' && l.charAt(l.length() - 1) == '}') {
                    String name = l.substring(1, l.length() - 1);
                    int colon = name.indexOf(':');
                    if (colon == 0 || colon == name.length() - 1 || name.matches(".*[+#{}/].*")) {
                        throw new IllegalArgumentException("topic pattern " + p + ": write a named level {name} or {name:word}");
                    }
                    // {name:word}: the level must be word; {name}: any level
                    levels[i] = colon < 0 ? "+" : name.substring(colon + 1);
                    names[i] = colon < 0 ? name : name.substring(0, colon);
                    anyName = true;
                } else if (l.equals("#")) {
                    if (i != levels.length - 1) {
                        throw new IllegalArgumentException("topic pattern " + p + ": '#' must be the last level");
                    }
                    multi = true;
                } else if (l.contains("{") || l.contains("}")) {
                    throw new IllegalArgumentException("topic pattern " + p + ": a named level is a whole level, {name}");
                }
            }
            patterns.add(new Compiled(share, levels, names, multi));
        }
        this.named = anyName;
    }

    /**
     * @param text one or more comma-separated patterns, e.g. {@code sites/{siteId}/devices/{serialNumber}/telemetry}
     * @return the compiled patterns
     * @throws IllegalArgumentException for a misplaced '#' or a brace inside a level
     */
    public static TopicPattern of(String text) {
        return new TopicPattern(text);
    }

    /** The MQTT filters to subscribe to, each named level as '+', e.g. {@code energy/devices/+/data}. */
    public List<String> filters() {
        List<String> out = new ArrayList<>(patterns.size());
        for (Compiled c : patterns) {
            StringBuilder sb = new StringBuilder(c.share);
            for (int i = 0; i < c.levels.length; i++) {
                if (i > 0) {
                    sb.append('/');
                }
                sb.append(c.levels[i]);
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** Whether any pattern names a level (a plain MQTT filter names none). */
    public boolean named() {
        return named;
    }

    /**
     * Reads a topic: puts every named level of the first matching pattern into {@code out} (an empty level as null).
     *
     * @return whether a pattern matched
     */
    public boolean read(String topic, Map<String, Object> out) {
        if (topic == null) {
            return false;
        }
        String[] levels = topic.split("/", -1);
        for (Compiled c : patterns) {
            if (matches(c, levels)) {
                for (int i = 0; i < c.names.length; i++) {
                    if (c.names[i] != null) {
                        out.put(c.names[i], levels[i].isEmpty() ? null : levels[i]);
                    }
                }
                return true;
            }
        }
        return false;
    }

    private static boolean matches(Compiled c, String[] levels) {
        int fixed = c.multiLevel ? c.levels.length - 1 : c.levels.length;
        if (c.multiLevel ? levels.length < fixed : levels.length != fixed) {
            return false;
        }
        for (int i = 0; i < fixed; i++) {
            if (!c.levels[i].equals("+") && !c.levels[i].equals(levels[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
