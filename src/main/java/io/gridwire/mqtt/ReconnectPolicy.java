package io.gridwire.mqtt;

import java.io.EOFException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why one client's connection ended and how long to wait before reconnecting. A session taken over by another
 * connection with the same client id (two instances with one client id: MQTT 5 DISCONNECT reason 0x8E or, on a broker
 * that sends no reason, the connection closed again and again within seconds of connecting) backs off; any other loss
 * waits the retry interval. Reconnects are the client's own: Paho's automatic one keeps its backoff in a static field
 * shared by every client, so with several connections one broker restart left some of them away for minutes.
 */
final class ReconnectPolicy {

    // the client's log category: operators look for connection losses under it
    private static final Logger LOG = LoggerFactory.getLogger(DeferredConnectMqttClient.class);

    /** MQTT 5 DISCONNECT reason code 0x8E: another connection with this client id took the session over. */
    static final int SESSION_TAKEN_OVER = 0x8E;
    /** Closes in a row, each within this many seconds of connecting, taken for a session takeover. */
    static final int QUICK_CLOSES = 3;
    private static final long QUICK_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final String clientId;
    private final long retrySeconds;
    /** Takeovers in a row (a connection that lasted a minute ends the row), and when the last one happened. */
    private final AtomicInteger takeovers = new AtomicInteger();
    private volatile long lastTakeoverNanos;
    private final AtomicInteger quickCloses = new AtomicInteger();
    private volatile long firstQuickCloseNanos;
    private volatile String description;

    ReconnectPolicy(String clientId, long retrySeconds) {
        this.clientId = clientId;
        this.retrySeconds = retrySeconds;
    }

    /**
     * The connection ended: says why ({@link #description()}) and returns the seconds to wait before reconnecting.
     *
     * @param connectedAtNanos System.nanoTime() of the connect that just ended
     * @param serverUri        the broker, for the log
     */
    long delayAfter(MqttDisconnectResponse response, long connectedAtNanos, String serverUri) {
        if (response.getReturnCode() == SESSION_TAKEN_OVER) {
            return takenOver("DISCONNECT reason 0x8E, session taken over", connectedAtNanos);
        }
        if (quicklyClosedAgain(response, connectedAtNanos)) {
            // Mosquitto 2.0 closes a taken-over connection without saying why (no DISCONNECT 0x8E): a
            // connection the broker closes within seconds, again and again, while reconnecting succeeds.
            // A suspicion (a proxy or a broker restarting in a loop looks the same): its backoff stays short
            return Math.min(16, takenOver("probably: the broker closed this connection " + QUICK_CLOSES
                                          + " times within seconds of connecting, within 2 minutes, and sends no reason",
                    connectedAtNanos));
        }
        description = "disconnected: " + response.getReasonString() + (response.getException() == null ? ""
                : " (" + response.getException().getMessage() + ")");
        LOG.warn("MQTT client {} lost its connection to {}: {}; reconnecting every {} s", clientId, serverUri, description,
                retrySeconds);
        return retrySeconds;
    }

    /**
     * Whether the broker closed the connection (end of stream, no DISCONNECT) within seconds of its connect, for the
     * {@value #QUICK_CLOSES}th time or more in a row: what a session takeover looks like on a broker that does not send
     * reason 0x8E. A broker restart refuses the reconnects instead, so it does not count.
     *
     * @param connectedAtNanos System.nanoTime() of the connect that just ended
     */
    private boolean quicklyClosedAgain(MqttDisconnectResponse response, long connectedAtNanos) {
        boolean closedByBroker = false;
        for (Throwable t = response.getException(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            closedByBroker |= t instanceof EOFException;
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
     * The session was taken over: one ERROR naming the client id (again every 10th time), then a growing pause before
     * reconnecting (twice the retry per takeover in a row, up to 60 s) instead of taking the session back every few
     * seconds.
     *
     * @param how              what the broker did
     * @param connectedAtNanos System.nanoTime() of the connect that just ended
     * @return seconds to wait before reconnecting
     */
    private long takenOver(String how, long connectedAtNanos) {
        long now = System.nanoTime();
        if (now - connectedAtNanos > TimeUnit.MINUTES.toNanos(1)) {
            takeovers.set(0); // it had held its session for a while: a new row
        }
        int n = takeovers.incrementAndGet();
        lastTakeoverNanos = now;
        long delay = Math.min(60, Math.max(1, retrySeconds) << Math.min(n, 6));
        description = "session taken over by another connection with client id " + clientId + " (" + n
                      + " time(s) in a row: " + how + ")";
        if (n == 1 || n % 10 == 0) {
            LOG.error("MQTT client {}: the broker handed this client id's session to another connection ({}; {} time(s) in a "
                      + "row): another gridwire instance or client uses client id {}. Give each instance its own GRIDWIRE_INSTANCE_ID. "
                      + "Reconnecting in {} s", clientId, how, n, clientId, delay);
        } else {
            LOG.warn("MQTT client {}: session taken over again ({} times in a row); reconnecting in {} s", clientId, n, delay);
        }
        return delay;
    }

    /** Why the last connection ended, as the client's last error names it. */
    String description() {
        return description;
    }

    /** Whether the session was taken over within the last 2 minutes. */
    boolean takenOverRecently() {
        return takeovers.get() > 0 && System.nanoTime() - lastTakeoverNanos < TimeUnit.MINUTES.toNanos(2);
    }
}
