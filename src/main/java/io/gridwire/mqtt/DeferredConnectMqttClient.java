package io.gridwire.mqtt;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MQTT 5 client handed to camel-paho-mqtt5's consumer (endpoint option {@code client}).
 * <p>
 * The 4.17 consumer connects its own client before installing its callback, so messages the broker replays
 * from a persistent session right after connect are dropped by Paho and stay unacked. This client connects
 * only once the consumer has set its callback, with manual acks on, and keeps retrying in the background while
 * the broker is unreachable (subscriptions asked for meanwhile are made once connected), so a broker that is
 * down at start-up neither loses messages nor stops gridwire from starting. An endpoint topic that is a
 * comma-separated list of filters subscribes to each of them; a level written {@code {name}} (a {@link TopicPattern})
 * is subscribed as '+'. The filters wanted on every connection are {@link ManagedSubscriptions}'; how long to wait
 * after a lost connection (longer when another connection took the session over) is {@link ReconnectPolicy}'s.
 */
public class DeferredConnectMqttClient extends MqttClient {

    private static final Logger LOG = LoggerFactory.getLogger(DeferredConnectMqttClient.class);

    private final MqttConnectionOptions options;
    private final long retrySeconds;
    private final ManagedSubscriptions subscriptions;
    private final ReconnectPolicy reconnect;
    private final ScheduledExecutorService connector;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicInteger consumerStarts = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.Set<String> consumerFilters = ConcurrentHashMap.newKeySet();

    /**
     * @param options      connection options (session expiry, credentials); automatic reconnect is turned off
     * @param retrySeconds seconds between connect attempts while the broker is unreachable
     * @throws MqttException Paho cannot create the client (e.g. an invalid server URI)
     */
    public DeferredConnectMqttClient(String serverUri, String clientId, MqttConnectionOptions options, long retrySeconds)
            throws MqttException {
        super(serverUri, clientId, new MemoryPersistence());
        this.options = options;
        this.retrySeconds = retrySeconds;
        this.connector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mqtt-connect-" + clientId);
            t.setDaemon(true);
            return t;
        });
        this.subscriptions = new ManagedSubscriptions(aClient);
        this.reconnect = new ReconnectPolicy(clientId, retrySeconds);
        setManualAcks(true);
        // reconnects are ours (see the callback): never Paho's automatic ones
        options.setAutomaticReconnect(false);
    }

    /**
     * Shares this client's subscriptions in an MQTT 5 shared subscription group ({@code $share/<group>/<filter>}); call
     * before the first subscription. A shared client's consumer drains on stop ({@link #drainSubscriptions}) and
     * {@link #shutdown()} ends its session (session expiry 0), so the broker keeps nothing for a member that left.
     *
     * @param group the group name (no '/', '+' or '#'); null for unshared
     * @throws IllegalArgumentException for a name MQTT does not allow
     */
    public void shareSubscriptions(String group) {
        if (group != null && (group.isEmpty() || group.matches(".*[/+#].*"))) {
            throw new IllegalArgumentException("shared subscription group '" + group + "': must not be empty nor contain '/', '+' or '#'");
        }
        subscriptions.share(group);
    }

    private volatile long drainQuietMs = 1000;
    private volatile boolean standby;

    /**
     * A connection only the leader holds, this instance no longer leading: disconnects (the session stays, and queues
     * for whichever instance leads next under the same client id) and stays away until a consumer sets its callback
     * again.
     */
    public synchronized void standBy() {
        standby = true;
        try {
            if (isConnected()) {
                disconnect(5000);
                LOG.info("MQTT client {} disconnected: this instance no longer leads (the session stays for the leader)", getClientId());
            }
        } catch (MqttException e) {
            LOG.debug("MQTT client {} standby disconnect: {}", getClientId(), e.getMessage());
        }
    }
    private volatile boolean drained;

    /**
     * Whether this shared client's consumer left its group and acked everything its session had been given (set by the
     * consumer's drain; cleared by anything left unacked after it). Only then does {@link #shutdown()} end the session;
     * otherwise the session stays (its shared expiry), so the instance restarted with its id gets those messages back.
     */
    public void setDrained(boolean drained) {
        this.drained = drained;
    }

    /** Milliseconds without a message after which a draining consumer takes its session as empty (default 1000). */
    public void setDrainQuietMs(long ms) {
        this.drainQuietMs = ms;
    }

    /** Milliseconds without a message after which a draining consumer takes its session as empty. */
    public long drainQuietMs() {
        return drainQuietMs;
    }

    /** The shared subscription group; null when this client's subscriptions are not shared. */
    public String sharedGroup() {
        return subscriptions.sharedGroup();
    }

    /**
     * A shared client's consumer stopping: unsubscribes from its filters and waits for the broker's UNSUBACK (at most
     * {@code timeoutMs}), so the broker gives the group's messages to the other members from now on; what it had
     * already sent this session still arrives and is the consumer's to commit and ack. Returns whether every
     * UNSUBACK came with success (false when one was refused, or not connected: the session's messages then come back
     * with it).
     */
    public boolean drainSubscriptions(long timeoutMs) {
        List<String> filters = List.copyOf(consumerFilters);
        consumerFilters.clear();
        return subscriptions.leave(filters, timeoutMs, isConnected());
    }

    /** Where the consumer subscribes to this topic, the subscriptions are managed with add/removeSubscription instead. */
    public static final String MANAGED = "gridwire/managed-subscriptions";

    private volatile String lastError;
    /** Counts connections: a message's ack is only valid on the connection it arrived on. */
    private final java.util.concurrent.atomic.AtomicInteger epoch = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * The current connection's number, bumped on every connect and loss. A packet id belongs to one connection: after a
     * reconnect the broker sends unacked messages again, and may give an old id to a new message, so an ack for a
     * message of an earlier connection must not be sent (its copy on the new connection is acked instead).
     */
    public int connectionEpoch() {
        return epoch.get();
    }

    /**
     * Has the broker send again what this session has not acked, by reconnecting (MQTT 5 sends unacked messages again
     * only on a new connection); runs in the background. For a consumer whose batch failed while gridwire runs.
     */
    public void redeliverUnacked(String why) {
        if (!closed) {
            LOG.warn("MQTT client {}: {}; reconnecting so the broker sends the unacked messages again", getClientId(), why);
            connector.execute(this::reconnectForRedelivery);
        }
    }

    /** Installs the consumer's callback (plus: subscriptions made again on reconnect, errors remembered), then connects. */
    @Override
    public void setCallback(MqttCallback callback) {
        standby = false;
        super.setCallback(new MqttCallback() {
            @Override
            public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
                epoch.incrementAndGet();
                long delay = reconnect.delayAfter(response, connectedAtNanos, getServerURI());
                lastError = reconnect.description();
                callback.disconnected(response);
                // our own reconnect (see ReconnectPolicy), not Paho's
                if (!closed) {
                    connector.schedule(DeferredConnectMqttClient.this::tryConnect, delay, TimeUnit.SECONDS);
                }
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
                lastError = exception.getMessage();
                callback.mqttErrorOccurred(exception);
            }

            @Override
            public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) throws Exception {
                callback.messageArrived(topic, message);
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
                callback.deliveryComplete(token);
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
                if (reconnect) {
                    LOG.info("MQTT client {} reconnected to {}", getClientId(), serverURI);
                    subscriptions.resubscribe();
                }
                callback.connectComplete(reconnect, serverURI);
            }

            @Override
            public void authPacketArrived(int reasonCode, org.eclipse.paho.mqttv5.common.packet.MqttProperties properties) {
                callback.authPacketArrived(reasonCode, properties);
            }
        });
        if (!isConnected()) {
            tryConnect();
        }
    }

    private volatile long connectedAtNanos;

    /**
     * Null unless this client id's session was taken over by another connection within the last 2 minutes (then a
     * health check says so even while connected in between: two instances with one client id flap).
     */
    public String takeoverProblem() {
        return reconnect.takenOverRecently() ? lastError : null;
    }

    private volatile int sessionStart;

    /**
     * The connection ({@link #connectionEpoch()}) the broker's current session began with: messages of connections
     * before it are never sent again.
     */
    public int sessionStartEpoch() {
        return sessionStart;
    }

    /** Nanoseconds since the current connection was made. */
    public long connectionAgeNanos() {
        return System.nanoTime() - connectedAtNanos;
    }

    /** The session expiry this client connects with, in seconds (null: the broker's default). */
    public Long sessionExpirySeconds() {
        return options.getSessionExpiryInterval();
    }

    /** The last connection problem (null if none so far). */
    public String lastError() {
        return lastError;
    }

    /** Subscribes to one more filter (now if connected, else once connected). */
    public void addSubscription(String filter, int qos) throws MqttException {
        subscriptions.want(filter, qos);
        if (isConnected()) {
            subscriptions.subscribe(filter, qos);
        }
    }

    /** Stops receiving a filter. */
    public void removeSubscription(String filter) throws MqttException {
        if (subscriptions.drop(filter) && isConnected()) {
            subscriptions.unsubscribe(filter);
        }
    }

    /**
     * Subscribes without waiting for the SUBACK: after a reconnect the broker first replays the session's queued
     * messages, and the SUBACK only follows them, so a blocking subscribe would hold the route's start-up (and the
     * routes after it) until the whole backlog went through. A refused subscription is logged.
     */
    @Override
    public IMqttToken subscribe(String topicFilter, int qos) throws MqttException {
        // the consumer's endpoint has one topic; a comma-separated list subscribes to each filter (one callback for all)
        java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
        if (!MANAGED.equals(topicFilter)) {
            // named levels ({deviceId}) are the route's business (TopicHeaders): the broker gets '+'
            wanted.addAll(TopicPattern.of(topicFilter).filters());
        }
        // one consumer per client: filters of a consumer that was replaced (its route reloaded with another topic)
        // are dropped, so neither this connection nor a reconnect keeps receiving them
        for (String old : consumerFilters) {
            if (!wanted.contains(old)) {
                unsubscribe(old);
            }
        }
        consumerFilters.clear();
        consumerFilters.addAll(wanted);
        if (consumerStarts.incrementAndGet() > 1 && isConnected()) {
            // a consumer started again on a live connection (its route was reloaded or restarted): messages the old
            // consumer received but never acked are only sent again after a reconnect, so reconnect (the session stays)
            reconnectForRedelivery();
        }
        IMqttToken last = null;
        for (String f : wanted) {
            subscriptions.want(f, qos);
            if (isConnected()) {
                last = subscriptions.subscribe(f, qos);
            }
        }
        return last;
    }

    /** The consumer stopping: its filters are no longer wanted after a reconnect either. */
    @Override
    public void unsubscribe(String topicFilter) throws MqttException {
        if (MANAGED.equals(topicFilter)) {
            return;
        }
        for (String f : TopicPattern.of(topicFilter).filters()) {
            if (subscriptions.drop(f) && isConnected()) {
                subscriptions.unsubscribe(f);
            }
        }
    }

    /** {@link #unsubscribe(String)} for each filter. */
    @Override
    public void unsubscribe(String[] topicFilters) throws MqttException {
        for (String f : topicFilters) {
            unsubscribe(f);
        }
    }

    private synchronized void reconnectForRedelivery() {
        epoch.incrementAndGet();
        try {
            LOG.info("MQTT client {}: consumer restarted; reconnecting so the broker sends again what was not acked",
                    getClientId());
            disconnect(5000);
        } catch (MqttException e) {
            LOG.debug("MQTT client {} disconnect before reconnect: {}", getClientId(), e.getMessage());
        }
        tryConnect();
    }

    private synchronized void tryConnect() {
        if (closed || standby || isConnected()) {
            return;
        }
        try {
            // the new connection's number before it exists: the broker resends unacked messages right after its
            // CONNACK, before connect() returns here, and those must be acked on (and belong to) this connection
            int now = epoch.incrementAndGet();
            connectedAtNanos = System.nanoTime();
            IMqttToken connected = BoundedConnect.connect(aClient, options);
            connectedAtNanos = System.nanoTime();
            if (!connected.getSessionPresent()) {
                sessionStart = now; // nothing of an earlier connection will be sent again
            }
            LOG.info("MQTT client {} connected to {} (session kept {} s)", getClientId(), getServerURI(),
                    options.getSessionExpiryInterval());
            subscriptions.subscribeAll();
        } catch (MqttException e) {
            String why = MqttBroker.connectFailure(e);
            lastError = "cannot connect: " + why;
            LOG.warn("MQTT client {} cannot connect to {}: {}; retrying every {} s", getClientId(), getServerURI(),
                    why, retrySeconds);
            connector.schedule(this::tryConnect, retrySeconds, TimeUnit.SECONDS);
        }
    }

    /**
     * Disconnects (after the routes stopped, so acks of finished messages went out) and releases the client. A shared
     * client disconnects with session expiry 0: its consumer drained, the broker drops the session at once instead of
     * handing it the group's messages until it expires.
     */
    public synchronized void shutdown() {
        closed = true;
        connector.shutdownNow();
        try {
            if (isConnected() && sharedGroup() != null && drained) {
                org.eclipse.paho.mqttv5.common.packet.MqttProperties end = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
                end.setSessionExpiryInterval(0L);
                aClient.disconnect(5000, null, null, 0, end).waitForCompletion(6000);
                LOG.info("MQTT client {} disconnected and ended its session (shared group {})", getClientId(), sharedGroup());
            } else if (isConnected()) {
                if (sharedGroup() != null) {
                    LOG.warn("MQTT client {} disconnected keeping its session (its consumer did not drain): what the broker "
                             + "gave it comes back when this instance returns with its id, within the session expiry", getClientId());
                }
                disconnect(5000);
            }
            close();
        } catch (MqttException e) {
            LOG.debug("MQTT client {} did not close cleanly: {}", getClientId(), e.getMessage());
        }
    }
}
