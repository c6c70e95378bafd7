package io.gridwire.mqtt;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
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
 * is subscribed as '+'.
 */
public class DeferredConnectMqttClient extends MqttClient {

    private static final Logger LOG = LoggerFactory.getLogger(DeferredConnectMqttClient.class);

    private final MqttConnectionOptions options;
    private final long retrySeconds;
    private final Map<String, Integer> subscriptions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService connector;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicInteger consumerStarts = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.Set<String> consumerFilters = ConcurrentHashMap.newKeySet();

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
        setManualAcks(true);
        // reconnects are ours (see the callback): never Paho's automatic ones
        options.setAutomaticReconnect(false);
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

    @Override
    public void setCallback(MqttCallback callback) {
        // the consumer's callback, plus: subscriptions made again after an automatic reconnect, errors remembered
        super.setCallback(new MqttCallback() {
            @Override
            public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
                epoch.incrementAndGet();
                long delay = retrySeconds;
                if (response.getReturnCode() == SESSION_TAKEN_OVER) {
                    delay = takenOver("DISCONNECT reason 0x8E, session taken over");
                } else if (quicklyClosedAgain(response)) {
                    // Mosquitto 2.0 closes a taken-over connection without saying why (no DISCONNECT 0x8E): a
                    // connection the broker closes within seconds, again and again, while reconnecting succeeds.
                    // A suspicion (a proxy or a broker restarting in a loop looks the same): its backoff stays short
                    delay = Math.min(16, takenOver("probably: the broker closed this connection " + QUICK_CLOSES
                                                   + " times within seconds of connecting, within 2 minutes, and sends no reason"));
                } else {
                    lastError = "disconnected: " + response.getReasonString() + (response.getException() == null ? ""
                            : " (" + response.getException().getMessage() + ")");
                    LOG.warn("MQTT client {} lost its connection to {}: {}; reconnecting every {} s", getClientId(),
                            getServerURI(), lastError, retrySeconds);
                }
                callback.disconnected(response);
                // our own reconnect: Paho's automatic one keeps its backoff in a static field shared by every client,
                // so with several connections one broker restart left some of them away for minutes
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
                    resubscribe();
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

    /** MQTT 5 DISCONNECT reason code 0x8E: another connection with this client id took the session over. */
    static final int SESSION_TAKEN_OVER = 0x8E;
    /** Takeovers in a row (a connection that lasted a minute ends the row), and when the last one happened. */
    private final java.util.concurrent.atomic.AtomicInteger takeovers = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastTakeoverNanos;
    private volatile long connectedAtNanos;

    /** Closes in a row, each within this many seconds of connecting, taken for a session takeover. */
    static final int QUICK_CLOSES = 3;
    private static final long QUICK_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(15);
    private final java.util.concurrent.atomic.AtomicInteger quickCloses = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long firstQuickCloseNanos;

    /**
     * Whether the broker closed the connection (end of stream, no DISCONNECT) within seconds of its connect, for the
     * {@value #QUICK_CLOSES}th time or more in a row: what a session takeover looks like on a broker that does not send
     * reason 0x8E. A broker restart refuses the reconnects instead, so it does not count.
     */
    private boolean quicklyClosedAgain(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
        boolean closedByBroker = false;
        for (Throwable t = response.getException(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            closedByBroker |= t instanceof java.io.EOFException;
        }
        long now = System.nanoTime();
        if (!closedByBroker || now - connectedAtNanos > QUICK_CLOSE_NANOS) {
            quickCloses.set(0);
            return false;
        }
        if (quickCloses.get() == 0 || now - firstQuickCloseNanos > TimeUnit.MINUTES.toNanos(2)) {
            quickCloses.set(0);
            firstQuickCloseNanos = now; // a new row: closes spread over longer are not one
        }
        return quickCloses.incrementAndGet() >= QUICK_CLOSES;
    }

    /**
     * The broker handed this client id's session to another connection (two instances with one client id): one ERROR
     * naming the client id (again every 10th time), then a growing pause before reconnecting (twice the retry per
     * takeover in a row, up to 60 s) instead of taking the session back every few seconds.
     *
     * @param how what the broker did
     * @return seconds to wait before reconnecting
     */
    private long takenOver(String how) {
        long now = System.nanoTime();
        if (now - connectedAtNanos > TimeUnit.MINUTES.toNanos(1)) {
            takeovers.set(0); // it had held its session for a while: a new row
        }
        int n = takeovers.incrementAndGet();
        lastTakeoverNanos = now;
        long delay = Math.min(60, Math.max(1, retrySeconds) << Math.min(n, 6));
        lastError = "session taken over by another connection with client id " + getClientId() + " (" + n
                    + " time(s) in a row: " + how + ")";
        if (n == 1 || n % 10 == 0) {
            LOG.error("MQTT client {}: the broker handed this client id's session to another connection ({}; {} time(s) in a "
                      + "row): another gridwire instance or client uses client id {}. Give each instance its own MQTT_CLIENTID. "
                      + "Reconnecting in {} s", getClientId(), how, n, getClientId(), delay);
        } else {
            LOG.warn("MQTT client {}: session taken over again ({} times in a row); reconnecting in {} s", getClientId(), n, delay);
        }
        return delay;
    }

    /**
     * Null unless this client id's session was taken over by another connection within the last 2 minutes (then a
     * health check says so even while connected in between: two instances with one client id flap).
     */
    public String takeoverProblem() {
        return takeovers.get() > 0 && System.nanoTime() - lastTakeoverNanos < TimeUnit.MINUTES.toNanos(2) ? lastError : null;
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
        subscriptions.put(filter, qos);
        if (isConnected()) {
            subscribeAsync(filter, qos);
        }
    }

    /** Stops receiving a filter. */
    public void removeSubscription(String filter) throws MqttException {
        if (subscriptions.remove(filter) != null && isConnected()) {
            aClient.unsubscribe(filter, null, null);
            LOG.info("MQTT client {} unsubscribed from {}", getClientId(), filter);
        }
    }

    private void resubscribe() {
        for (var s : subscriptions.entrySet()) {
            try {
                subscribeAsync(s.getKey(), s.getValue());
            } catch (MqttException e) {
                LOG.warn("MQTT client {}: resubscribing to {} failed: {}", getClientId(), s.getKey(), e.getMessage());
            }
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
            subscriptions.put(f, qos);
            if (isConnected()) {
                last = subscribeAsync(f, qos);
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
            if (subscriptions.remove(f) != null && isConnected()) {
                aClient.unsubscribe(f, null, null);
                LOG.info("MQTT client {} unsubscribed from {}", getClientId(), f);
            }
        }
    }

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

    /**
     * Subscribes at QoS {@code min(qos, 1)} with retain handling 1:
     * <ul>
     * <li>QoS 2 is taken at QoS 1 (the broker delivers at the lower of the publish and the subscription QoS). Paho
     * sends a QoS 2 message's PUBREC before gridwire committed it, whatever the manual ack says, so a crash between
     * the two loses it; at QoS 1 the PUBACK is held until the commit and a redelivery finds the idempotent writes of
     * the first. The effect is QoS 2's: each message stored once, none lost.</li>
     * <li>Retain handling 1 (MQTT 5): the broker sends retained messages only for a subscription the session does not
     * have yet, so a gridwire or broker restart with a kept session does not replay old retained messages as new ones
     * (an offline device shown online again). A new subscription (a new topic, an expired session) gets them.</li>
     * </ul>
     */
    /** Filters whose QoS 2 to QoS 1 subscription was logged (once each, not at every reconnect). */
    private final java.util.Set<String> qos2Logged = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private IMqttToken subscribeAsync(String topicFilter, int requestedQos) throws MqttException {
        int qos = Math.min(requestedQos, 1);
        if (requestedQos > 1 && qos2Logged.add(topicFilter)) {
            LOG.info("MQTT client {}: {} configured at QoS 2, subscribed at QoS 1 (acked after the commit, idempotent writes: "
                     + "each message stored once; Paho would confirm QoS 2 before the commit)", getClientId(), topicFilter);
        }
        org.eclipse.paho.mqttv5.common.MqttSubscription subscription = new org.eclipse.paho.mqttv5.common.MqttSubscription(topicFilter, qos);
        subscription.setRetainHandling(1);
        return aClient.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {subscription}, null, new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] codes = token.getReasonCodes();
                if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
                    LOG.error("MQTT client {}: broker refused the subscription to {} (reason code 0x{})", getClientId(),
                            topicFilter, Integer.toHexString(codes[0]));
                } else {
                    LOG.info("MQTT client {} subscribed to {} (QoS {})", getClientId(), topicFilter, qos);
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
                LOG.error("MQTT client {}: subscription to {} failed: {}", getClientId(), topicFilter, e.getMessage());
            }
        }, new org.eclipse.paho.mqttv5.common.packet.MqttProperties());
    }

    private synchronized void tryConnect() {
        if (closed || isConnected()) {
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
            for (var s : subscriptions.entrySet()) {
                subscribeAsync(s.getKey(), s.getValue());
            }
        } catch (MqttException e) {
            lastError = "cannot connect: " + e.getMessage();
            LOG.warn("MQTT client {} cannot connect to {}: {}; retrying every {} s", getClientId(), getServerURI(),
                    e.getMessage(), retrySeconds);
            connector.schedule(this::tryConnect, retrySeconds, TimeUnit.SECONDS);
        }
    }

    /** Disconnects (after the routes stopped, so acks of finished messages went out) and releases the client. */
    public synchronized void shutdown() {
        closed = true;
        connector.shutdownNow();
        try {
            if (isConnected()) {
                disconnect(5000);
            }
            close();
        } catch (MqttException e) {
            LOG.debug("MQTT client {} did not close cleanly: {}", getClientId(), e.getMessage());
        }
    }
}
