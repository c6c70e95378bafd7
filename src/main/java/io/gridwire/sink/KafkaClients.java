package io.gridwire.sink;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How gridwire's own Kafka clients (admin, kafka-first producer and consumers, health checks) reach the cluster: the
 * bootstrap servers and the security settings (Kafka's client configuration names) every client gets.
 *
 * @param bootstrap bootstrap servers, {@code host:port,...}
 * @param security  {@code security.protocol} and, as it needs, {@code sasl.*} and {@code ssl.*} entries
 */
public record KafkaClients(String bootstrap, Map<String, Object> security) {

    private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

    /**
     * Builds the security settings.
     *
     * @param bootstrap bootstrap servers, {@code host:port,...}
     * @param protocol  PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
     * @param mechanism with SASL: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN
     * @param username  with SASL: the account
     * @param password  with SASL: its password (goes into sasl.jaas.config, never into a log)
     * @param caFile    with SSL/SASL_SSL: PEM file of the CAs the brokers' certificates chain to; blank: the JVM's
     * @return the connection settings
     * @throws IllegalArgumentException an unknown protocol or mechanism, or SASL without a username
     */
    public static KafkaClients of(String bootstrap, String protocol, String mechanism, String username, String password, String caFile) {
        String p = protocol == null || protocol.isBlank() ? "PLAINTEXT" : protocol.trim().toUpperCase(Locale.ROOT);
        if (!PROTOCOLS.contains(p)) {
            throw new IllegalArgumentException("kafka.security.protocol '" + protocol + "': one of " + PROTOCOLS);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("security.protocol", p);
        if (p.startsWith("SASL_")) {
            String m = mechanism.trim().toUpperCase(Locale.ROOT);
            String module = switch (m) {
                case "SCRAM-SHA-512", "SCRAM-SHA-256" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
                case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
                default -> throw new IllegalArgumentException("kafka.sasl.mechanism '" + mechanism + "': SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN");
            };
            if (username == null || username.isBlank()) {
                throw new IllegalArgumentException("kafka.security.protocol " + p + " needs kafka.sasl.username");
            }
            s.put("sasl.mechanism", m);
            s.put("sasl.jaas.config", module + " required username=\"" + jaas(username) + "\" password=\"" + jaas(password) + "\";");
        }
        if (p.endsWith("SSL") && caFile != null && !caFile.isBlank()) {
            s.put("ssl.truststore.type", "PEM");
            s.put("ssl.truststore.location", caFile.trim());
        }
        return new KafkaClients(bootstrap, Map.copyOf(s));
    }

    /**
     * A client configuration: bootstrap servers, the security settings, then {@code settings}.
     *
     * @param settings more client settings as key, value, key, value, ... (Kafka's names)
     * @return a new mutable map
     */
    public Map<String, Object> config(Object... settings) {
        Map<String, Object> c = new HashMap<>(security);
        c.put("bootstrap.servers", bootstrap);
        for (int i = 0; i < settings.length; i += 2) {
            c.put((String) settings[i], settings[i + 1]);
        }
        return c;
    }

    /** Bootstrap servers and protocol only: the SASL settings hold the password. */
    @Override
    public String toString() {
        return bootstrap + " (" + protocol() + ")";
    }

    /**
     * An admin client with these settings.
     *
     * @param requestTimeoutMs a request's timeout (ms)
     * @param apiTimeoutMs     an API call's overall timeout (ms)
     * @return a new client; the caller closes it
     */
    public org.apache.kafka.clients.admin.Admin admin(int requestTimeoutMs, int apiTimeoutMs) {
        return org.apache.kafka.clients.admin.Admin.create(config("request.timeout.ms", requestTimeoutMs, "default.api.timeout.ms", apiTimeoutMs));
    }

    /** The security protocol, for logs and the start-up block. */
    public String protocol() {
        return (String) security.get("security.protocol");
    }

    private static String jaas(String value) {
        return value == null ? "" : value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
