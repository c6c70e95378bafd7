package io.gridwire.pdu;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.api.ApiException;
import io.gridwire.platform.TlsContexts;

/** Validation of seed 004's topic parts and socket MQTT settings; every refusal is a 400 naming the field. */
public final class SocketConfig {

    /** Shown instead of a password or PEM text; sent back unchanged it means "keep the stored one". */
    public static final String MASK = "********";
    private static final List<String> CREDENTIALS = List.of("username", "password", "ca_cert", "client_cert", "client_key");
    private static final Set<String> PEM = Set.of("ca_cert", "client_cert", "client_key");
    private static final List<String> CONFIG = List.of("qos", "retain", "keepalive", "clean_session", "tls", "verify_hostname");

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

    /**
     * {"qos": 0-2, "retain": bool, "keepalive": 1-3600, "clean_session": bool, "tls": bool, "verify_hostname": bool};
     * defaults filled in (tls false; with tls, verify_hostname true: the broker's certificate must name the host).
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> mqttConfig(Object value) {
        return mqttConfig(value, null);
    }

    /**
     * As {@link #mqttConfig(Object)}, for a change of a stored socket: "tls" and "verify_hostname" left out keep their
     * stored values (a change of QoS must not turn TLS off and send the broker password in clear).
     *
     * @param stored the socket's stored mqtt_config, or null for a new socket
     * @throws ApiException 400 naming the field
     */
    public static Map<String, Object> mqttConfig(Object value, Map<String, Object> stored) {
        Map<String, Object> in = value == null ? Map.of() : asObject("mqtt_config", value);
        for (String k : in.keySet()) {
            if (!CONFIG.contains(k)) {
                throw ApiException.badRequest("field 'mqtt_config." + k + "' is unknown; allowed: " + String.join(", ", CONFIG));
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
        for (String flag : List.of("tls", "verify_hostname")) {
            Object kept = stored == null ? null : stored.get(flag);
            Object v = in.getOrDefault(flag, kept != null ? kept : flag.equals("verify_hostname"));
            if (!(v instanceof Boolean)) {
                throw ApiException.badRequest("field 'mqtt_config." + flag + "' must be true or false");
            }
            out.put(flag, v);
        }
        return out;
    }

    /**
     * {"username", "password", "ca_cert", "client_cert", "client_key"}: the broker account and, for TLS (mqtt_config.tls),
     * the PEM certificates of the CAs to trust (absent: the JVM's) and the client certificate with its unencrypted key
     * (mutual TLS). A masked value ({@link #MASK}) keeps the stored one. None but the username is ever shown again.
     *
     * @throws ApiException 400 naming the field: unknown, not a string, too long, a PEM text that holds no certificate
     *                      or key, or a certificate without its key
     */
    public static Map<String, Object> credentials(Object value, Map<String, Object> stored) {
        Map<String, Object> in = value == null ? Map.of() : asObject("mqtt_credentials", value);
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : in.keySet()) {
            if (!CREDENTIALS.contains(k)) {
                throw ApiException.badRequest("field 'mqtt_credentials." + k + "' is unknown; allowed: " + String.join(", ", CREDENTIALS));
            }
            Object v = in.get(k);
            int max = PEM.contains(k) ? 32_768 : 256;
            if (v != null && (!(v instanceof String s) || s.length() > max)) {
                throw ApiException.badRequest("field 'mqtt_credentials." + k + "' must be a string of at most " + max + " characters");
            }
        }
        for (String k : CREDENTIALS) {
            Object v = in.get(k);
            if (MASK.equals(v)) {
                v = stored == null ? null : stored.get(k);
            }
            if (v != null) {
                out.put(k, v);
            }
        }
        checkPem(out);
        return out;
    }

    private static void checkPem(Map<String, Object> creds) {
        if (creds.containsKey("client_cert") != creds.containsKey("client_key")) {
            throw ApiException.badRequest("fields 'mqtt_credentials.client_cert' and 'mqtt_credentials.client_key' go together");
        }
        pem("ca_cert", new TlsContexts.Material(text(creds.get("ca_cert")), null, null, "ca_cert"));
        pem("client_cert", new TlsContexts.Material(null, text(creds.get("client_cert")), text(creds.get("client_key")), "client_cert"));
    }

    private static void pem(String field, TlsContexts.Material m) {
        try {
            TlsContexts.context(m);
        } catch (IllegalArgumentException e) {
            // the message names what is wrong (no certificate, no key, an encrypted key), never the PEM text
            String why = e.getMessage().substring(field.length() + 2);
            String named = field.equals("client_cert") && why.contains("private key") ? "client_key" : field;
            throw ApiException.badRequest("field 'mqtt_credentials." + named + "': " + why);
        }
    }

    /** The TLS material of stored credentials ({@link #credentials}); {@code source} names the socket's broker in errors. */
    public static TlsContexts.Material tlsMaterial(Map<String, ?> creds, String source) {
        return new TlsContexts.Material(text(creds.get("ca_cert")), text(creds.get("client_cert")), text(creds.get("client_key")), source);
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    /** Credentials as the API shows them: the username; the password and the PEM texts masked. */
    public static Map<String, Object> masked(Map<String, Object> credentials) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : CREDENTIALS) {
            if (credentials.get(k) != null) {
                out.put(k, k.equals("username") ? credentials.get(k) : MASK);
            }
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
