package io.gridwire.pdu;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.cluster.Leadership;
import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.MqttBroker;
import io.gridwire.platform.TlsContexts;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.CamelEvent;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 004's live subscriptions. Sockets sharing a broker and its connection settings (host, port, credentials,
 * keepalive, clean session) share one MQTT connection: one route instantiated from the template mqtt-ingest-family per
 * such broker. refresh() makes the running routes and subscriptions match the database: new brokers get a route,
 * brokers no socket uses lose theirs, and topics are subscribed and unsubscribed on the running connections, so
 * other sockets are not disturbed. Called after every API change, at start-up and by a timer. Only the leader
 * ({@link Leadership}) connects to the socket brokers: on another instance refresh() closes what it had, and a
 * change of leader refreshes at once (the new leader takes over the sessions: their client ids carry no instance id).
 */
public class SocketSubscriptions extends io.gridwire.platform.LifecycleNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(SocketSubscriptions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Connection settings shared by a group of sockets; {@code tls} null for plain TCP, else the PEM material of
     * mqtt_credentials and mqtt_config.verify_hostname.
     */
    record Broker(String host, int port, String username, String password, boolean cleanSession, int keepalive,
                  TlsContexts.Material tls, boolean verifyHostname) {

        /** Without the password and the TLS material. */
        @Override
        public String toString() {
            return describe();
        }

        /** A short hash of the settings: the route id and client id suffix (unchanged for a plain broker by TLS support). */
        String key() {
            try {
                String settings = host + "\n" + port + "\n" + username + "\n" + password + "\n" + cleanSession + "\n" + keepalive
                                  + (tls == null ? "" : "\ntls\n" + tls.caPem() + "\n" + tls.certPem() + "\n" + tls.keyPem() + "\n" + verifyHostname);
                byte[] d = MessageDigest.getInstance("SHA-256").digest(settings.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(d, 0, 5);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        String describe() {
            return host + ":" + port + (tls == null ? "" : tls.certPem() == null ? " (TLS)" : " (TLS, client certificate)")
                   + (username == null ? "" : " as " + username);
        }

        /** Host, port and for TLS the socket factory (its CAs and client certificate). @throws IllegalArgumentException bad PEM */
        MqttBroker transport() {
            return tls == null ? MqttBroker.plain(host, port)
                    : new MqttBroker(host, port, TlsContexts.context(tls).getSocketFactory(), verifyHostname);
        }
    }

    private static final class Group {
        final Broker broker;
        final String routeId;
        final DeferredConnectMqttClient client;
        final Map<String, Integer> topics = new HashMap<>(); // topic -> qos

        Group(Broker broker, String routeId, DeferredConnectMqttClient client) {
            this.broker = broker;
            this.routeId = routeId;
            this.client = client;
        }
    }

    /** Per-socket counters for /sockets/{id}/mqtt-status. */
    private static final class Stats {
        final AtomicLong messages = new AtomicLong();
        volatile Instant lastMessage;
        volatile String lastError;
    }

    private final CamelContext context;
    private final DataSource dataSource;
    private final String clientIdPrefix;
    private final long sessionExpirySeconds;
    private final int connectRetrySeconds;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final Map<Long, Stats> stats = new ConcurrentHashMap<>();
    private volatile Map<String, Long> socketByBrokerTopic = Map.of();
    private java.util.function.Function<String, io.gridwire.message.PayloadParser> parsers;
    private volatile Leadership leadership;

    /**
     * Connects to the socket brokers only while this instance leads, and refreshes (connects or closes everything) when
     * that changes; without it every instance connects.
     */
    public void setLeadership(Leadership leadership) {
        this.leadership = leadership;
        leadership.onChange(leading -> {
            if (!context.isStarted()) {
                return; // the context's started event refreshes
            }
            Thread t = new Thread(() -> {
                try {
                    // leadership can arrive while the main thread still starts the routes: adding one meanwhile can
                    // deadlock the route controller (seen when gridwire started as leader with TLS sockets stored)
                    awaitRoutesStarted(context, 120_000);
                    refresh();
                } catch (Exception e) {
                    LOG.error("PDU socket subscriptions after a change of leader (retried by the pdu-sockets-refresh timer): {}",
                            e.getMessage());
                }
            }, "pdu-sockets-leadership");
            t.setDaemon(true);
            t.start();
        });
    }

    /**
     * How a broker's route reads its messages: the parser for a broker key (SocketMessages#parserFor); set before
     * the first {@link #refresh}.
     */
    public void setParsers(java.util.function.Function<String, io.gridwire.message.PayloadParser> parsers) {
        this.parsers = parsers;
    }

    public SocketSubscriptions(CamelContext context, DataSource dataSource, String clientIdPrefix, long sessionExpirySeconds,
                               int connectRetrySeconds) {
        this.context = context;
        this.dataSource = dataSource;
        this.clientIdPrefix = clientIdPrefix;
        this.sessionExpirySeconds = sessionExpirySeconds;
        this.connectRetrySeconds = connectRetrySeconds;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStartedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        try {
            refresh();
        } catch (Exception e) {
            LOG.error("PDU socket subscriptions could not be set up (retried by the pdu-sockets-refresh timer): {}", e.getMessage());
        }
    }

    /** Makes routes and subscriptions match the sockets in the database (none on an instance that does not lead). */
    public synchronized void refresh() throws Exception {
        if (leadership != null && !leadership.isLeader()) {
            for (String key : new java.util.ArrayList<>(groups.keySet())) {
                remove(key, "this instance does not lead (leader: " + leadership.leaderId() + ")");
            }
            return;
        }
        Map<String, Broker> brokers = new HashMap<>();
        Map<String, Map<String, Integer>> wanted = new HashMap<>();
        Map<String, Long> lookup = new HashMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "SELECT s.id, p.mqtt_base_topic || '/' || s.mqtt_topic_suffix, s.mqtt_broker_host, s.mqtt_broker_port, "
                     + "s.mqtt_credentials::text, s.mqtt_config::text FROM pdu.sockets s "
                     + "JOIN pdu.power_distribution_units p ON p.id = s.pdu_id ORDER BY s.id");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                JsonNode creds = JSON.readTree(rs.getString(5));
                JsonNode config = JSON.readTree(rs.getString(6));
                boolean tls = config.path("tls").asBoolean(false);
                Broker b = new Broker(rs.getString(3), rs.getInt(4), creds.path("username").asText(null),
                        creds.path("password").asText(null), config.path("clean_session").asBoolean(false),
                        config.path("keepalive").asInt(60),
                        tls ? SocketConfig.tlsMaterial(JSON.convertValue(creds, Map.class), "PDU socket " + rs.getLong(1)) : null,
                        config.path("verify_hostname").asBoolean(true));
                String key = b.key();
                brokers.put(key, b);
                wanted.computeIfAbsent(key, k -> new HashMap<>()).put(rs.getString(2), config.path("qos").asInt(1));
                lookup.put(key + "|" + rs.getString(2), rs.getLong(1));
            }
        }
        // the new map first: a connection started below gets its session backlog at once, and must find its sockets
        socketByBrokerTopic = lookup;
        // brokers no socket uses any more
        for (String key : new java.util.ArrayList<>(groups.keySet())) {
            if (!wanted.containsKey(key)) {
                remove(key, "no socket left");
            }
        }
        // new brokers and changed subscriptions
        for (var e : wanted.entrySet()) {
            Group g = groups.get(e.getKey());
            if (g == null) {
                try {
                    g = start(e.getKey(), brokers.get(e.getKey()), e.getValue());
                } catch (IllegalArgumentException unusable) {
                    // its TLS material cannot make a connection (checked by the API; changed in the database?): the
                    // other brokers start, its sockets say why in mqtt-status
                    String why = "not connected: " + unusable.getMessage();
                    LOG.error("PDU broker {}: {}", brokers.get(e.getKey()).describe(), why);
                    lookup.forEach((brokerTopic, socket) -> {
                        if (brokerTopic.startsWith(e.getKey() + "|")) {
                            failed(socket, why);
                        }
                    });
                    continue;
                }
                groups.put(e.getKey(), g);
                continue;
            }
            for (var t : e.getValue().entrySet()) {
                if (!t.getValue().equals(g.topics.get(t.getKey()))) {
                    g.client.addSubscription(t.getKey(), t.getValue());
                    g.topics.put(t.getKey(), t.getValue());
                }
            }
            for (String t : new java.util.ArrayList<>(g.topics.keySet())) {
                if (!e.getValue().containsKey(t)) {
                    g.client.removeSubscription(t);
                    g.topics.remove(t);
                }
            }
        }
    }

    private void remove(String key, String why) throws Exception {
        Group g = groups.remove(key);
        context.getRouteController().stopRoute(g.routeId);
        context.removeRoute(g.routeId);
        g.client.shutdown();
        context.getRegistry().unbind(g.routeId + "-client");
        context.getRegistry().unbind(g.routeId + "-parser");
        LOG.info("PDU broker {}: {}, route {} removed", g.broker.describe(), why, g.routeId);
    }

    private Group start(String key, Broker b, Map<String, Integer> topics) throws Exception {
        MqttBroker transport = b.transport();
        MqttConnectionOptions o = transport.applyTo(new MqttConnectionOptions());
        if (b.username() != null) {
            o.setUserName(b.username());
        }
        if (b.password() != null) {
            o.setPassword(b.password().getBytes(StandardCharsets.UTF_8));
        }
        o.setCleanStart(b.cleanSession());
        o.setSessionExpiryInterval(b.cleanSession() ? 0L : sessionExpirySeconds);
        o.setKeepAliveInterval(b.keepalive());
        String routeId = "pdu-broker-" + key;
        DeferredConnectMqttClient client = new DeferredConnectMqttClient(transport.uri(),
                clientIdPrefix + "-pdu-" + key, o, connectRetrySeconds);
        Group g = new Group(b, routeId, client);
        for (var t : topics.entrySet()) {
            client.addSubscription(t.getKey(), t.getValue());
            g.topics.put(t.getKey(), t.getValue());
        }
        context.getRegistry().bind(routeId + "-client", client);
        context.getRegistry().bind(routeId + "-parser", parsers.apply(key));
        // the shared MQTT ingest shape (mqtt-ingest.camel.yaml); the client subscribes to the sockets' topics itself
        context.addRouteFromTemplate(routeId, "mqtt-ingest-family", Map.of("topics", DeferredConnectMqttClient.MANAGED,
                "client", routeId + "-client", "parser", routeId + "-parser", "pipeline", "pduPipeline"));
        if (context.getRouteController().getRouteStatus(routeId) != ServiceStatus.Started) {
            context.getRouteController().startRoute(routeId);
        }
        LOG.info("PDU broker {}: route {} started for {} socket topic(s)", b.describe(), routeId, topics.size());
        return g;
    }

    /** The socket subscribed to this topic on this broker, or null. */
    public Long socketFor(String brokerKey, String topic) {
        return socketByBrokerTopic.get(brokerKey + "|" + topic);
    }

    public void received(long socketId) {
        Stats s = stats.computeIfAbsent(socketId, k -> new Stats());
        s.messages.incrementAndGet();
        s.lastMessage = Instant.now();
    }

    public void failed(long socketId, String error) {
        stats.computeIfAbsent(socketId, k -> new Stats()).lastError = error;
    }

    /** Connection and traffic of one socket. */
    public Map<String, Object> status(long socketId, String topic, String broker, String deviceId) {
        Group g = null;
        for (Group x : groups.values()) {
            if ((x.broker.host() + ":" + x.broker.port()).equals(broker) && x.topics.containsKey(topic)) {
                g = x;
            }
        }
        Stats s = stats.get(socketId);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("socket_id", socketId);
        m.put("device_id", deviceId);
        m.put("broker", broker);
        m.put("topic", topic);
        m.put("subscribed", g != null);
        m.put("connected", g != null && g.client.isConnected());
        m.put("route_id", g == null ? null : g.routeId);
        // the leader alone holds the socket brokers' connections; its counts are the ones that move
        m.put("leader", leadership == null ? null : leadership.leaderId());
        m.put("last_message_time", s == null || s.lastMessage == null ? null : s.lastMessage.toString());
        m.put("message_count", s == null ? 0 : s.messages.get());
        String error = s == null ? null : s.lastError;
        if (g != null && !g.client.isConnected() && g.client.lastError() != null) {
            error = g.client.lastError();
        } else if (error == null && g != null) {
            error = g.client.lastError();
        }
        m.put("last_error", error);
        return m;
    }

    /** Each socket broker connection ("host:port as user") and whether it is up: null, else why not. */
    public Map<String, String> brokerProblems() {
        Map<String, String> m = new java.util.TreeMap<>();
        for (Group g : groups.values()) {
            String error = g.client.lastError();
            m.put(g.broker.describe(), g.client.isConnected() ? null : "not connected" + (error == null ? "" : ": " + error));
        }
        return m;
    }

    /** Closes every broker connection (gridwire stopping). */
    public synchronized void shutdown() {
        groups.values().forEach(g -> g.client.shutdown());
        groups.clear();
    }
}
