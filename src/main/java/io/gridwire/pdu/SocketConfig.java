package io.gridwire.pdu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import io.gridwire.api.ApiException;

/** Validation of seed 004's topic parts and socket MQTT settings; every refusal is a 400 naming the field. */
public final class SocketConfig {

    /** Shown instead of a password; sent back unchanged it means "keep the stored one". */
    public static final String MASK = "********";

    private SocketConfig() {
    }

    /** A base topic or suffix: no wildcards, no empty levels, no leading or trailing '/', no control characters. */
    public static String topicPart(String field, Object value) {
        if (!(value instanceof String s) || s.isBlank()) {
            throw ApiException.badRequest("field '" + field + "' is required (a non-empty string)");
        }
        if (s.length() > 200) {
            throw ApiException.badRequest("field '" + field + "' must be at most 200 characters");
        }
        if (s.contains("+") || s.contains("#")) {
            throw ApiException.badRequest("field '" + field + "' must not contain MQTT wildcards ('+' or '#')");
        }
        if (s.startsWith("/") || s.endsWith("/")) {
            throw ApiException.badRequest("field '" + field + "' must not start or end with '/'");
        }
        if (s.contains("//")) {
            throw ApiException.badRequest("field '" + field + "' must not contain empty topic levels ('//')");
        }
        if (s.startsWith("$")) {
            throw ApiException.badRequest("field '" + field + "' must not start with '$' (reserved for the broker)");
        }
        if (s.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || s.contains(" ")) {
            throw ApiException.badRequest("field '" + field + "' must not contain spaces or control characters");
        }
        return s;
    }

    public static String host(Object value) {
        if (!(value instanceof String s) || !s.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")) {
            throw ApiException.badRequest("field 'mqtt_broker_host' must be a host name or IPv4 address");
        }
        return s;
    }

    public static int port(Object value) {
        if (!(value instanceof Number n) || n.doubleValue() != Math.floor(n.doubleValue()) || n.intValue() < 1 || n.intValue() > 65535) {
            throw ApiException.badRequest("field 'mqtt_broker_port' must be a whole number from 1 to 65535");
        }
        return n.intValue();
    }

    /** {"qos": 0-2, "retain": bool, "keepalive": 1-3600, "clean_session": bool}; defaults filled in. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> mqttConfig(Object value) {
        Map<String, Object> in = value == null ? Map.of() : asObject("mqtt_config", value);
        for (String k : in.keySet()) {
            if (!Set.of("qos", "retain", "keepalive", "clean_session").contains(k)) {
                throw ApiException.badRequest("field 'mqtt_config." + k + "' is unknown; allowed: qos, retain, keepalive, clean_session");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Object qos = in.getOrDefault("qos", 1);
        if (!(qos instanceof Integer q) || q < 0 || q > 2) {
            throw ApiException.badRequest("field 'mqtt_config.qos' must be 0, 1 or 2");
        }
        out.put("qos", qos);
        Object retain = in.getOrDefault("retain", false);
        if (!(retain instanceof Boolean)) {
            throw ApiException.badRequest("field 'mqtt_config.retain' must be true or false");
        }
        out.put("retain", retain);
        Object keepalive = in.getOrDefault("keepalive", 60);
        if (!(keepalive instanceof Integer k) || k < 1 || k > 3600) {
            throw ApiException.badRequest("field 'mqtt_config.keepalive' must be seconds from 1 to 3600");
        }
        out.put("keepalive", keepalive);
        Object clean = in.getOrDefault("clean_session", false);
        if (!(clean instanceof Boolean)) {
            throw ApiException.badRequest("field 'mqtt_config.clean_session' must be true or false");
        }
        out.put("clean_session", clean);
        return out;
    }

    /** {"username": ..., "password": ...}; a masked password keeps the stored one. */
    public static Map<String, Object> credentials(Object value, Map<String, Object> stored) {
        Map<String, Object> in = value == null ? Map.of() : asObject("mqtt_credentials", value);
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : in.keySet()) {
            if (!Set.of("username", "password").contains(k)) {
                throw ApiException.badRequest("field 'mqtt_credentials." + k + "' is unknown; allowed: username, password");
            }
            Object v = in.get(k);
            if (v != null && (!(v instanceof String s) || s.length() > 256)) {
                throw ApiException.badRequest("field 'mqtt_credentials." + k + "' must be a string of at most 256 characters");
            }
        }
        if (in.get("username") != null) {
            out.put("username", in.get("username"));
        }
        Object password = in.get("password");
        if (MASK.equals(password)) {
            password = stored == null ? null : stored.get("password");
        }
        if (password != null) {
            out.put("password", password);
        }
        return out;
    }

    /** Credentials as the API shows them: the password masked. */
    public static Map<String, Object> masked(Map<String, Object> credentials) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (credentials.get("username") != null) {
            out.put("username", credentials.get("username"));
        }
        if (credentials.get("password") != null) {
            out.put("password", MASK);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(String field, Object value) {
        if (!(value instanceof Map)) {
            throw ApiException.badRequest("field '" + field + "' must be an object");
        }
        return (Map<String, Object>) value;
    }
}
