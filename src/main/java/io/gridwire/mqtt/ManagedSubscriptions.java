package io.gridwire.mqtt;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filters one client wants, with their QoS, made again on every connection; each subscribed without waiting
 * for the SUBACK (a refusal is logged). With a shared group each filter is subscribed (and unsubscribed) as the MQTT 5
 * shared subscription {@code $share/<group>/<filter>}: the broker gives each message to one member of the group.
 */
final class ManagedSubscriptions {

    // the client's log category
    private static final Logger LOG = LoggerFactory.getLogger(DeferredConnectMqttClient.class);

    private final MqttAsyncClient client;
    private final Map<String, Integer> wanted = new ConcurrentHashMap<>();
    /** Filters whose QoS 2 to QoS 1 subscription was logged (once each, not at every reconnect). */
    private final Set<String> qos2Logged = ConcurrentHashMap.newKeySet();

    private volatile String sharedGroup;

    ManagedSubscriptions(MqttAsyncClient client) {
        this.client = client;
    }

    /** Shares every subscription made from now on in the group (null: not shared). */
    void share(String group) {
        this.sharedGroup = group;
    }

    /** The group subscriptions are shared in; null when not shared. */
    String sharedGroup() {
        return sharedGroup;
    }

    /** The filter as the broker gets it: {@code $share/<group>/<filter>} when shared. */
    String brokerFilter(String filter) {
        String g = sharedGroup;
        return g == null ? filter : "$share/" + g + "/" + filter;
    }

    /** Wants the filter at the QoS (subscribe with {@link #subscribe} while connected). */
    void want(String filter, int qos) {
        wanted.put(filter, qos);
    }

    /** No longer wants the filter; true if it was wanted. */
    boolean drop(String filter) {
        return wanted.remove(filter) != null;
    }

    /** Unsubscribes the connection from the filter, without waiting; returns the UNSUBACK's token. */
    IMqttToken unsubscribe(String filter) throws MqttException {
        String f = brokerFilter(filter);
        IMqttToken token = client.unsubscribe(f, null, null);
        LOG.info("MQTT client {} unsubscribed from {}", client.getClientId(), f);
        return token;
    }

    /**
     * Unsubscribes from the filters (no longer wanted) and waits for the broker's UNSUBACKs, at most {@code timeoutMs};
     * true when every one came with success (false when one was refused, or not {@code connected}).
     */
    boolean leave(java.util.Collection<String> filters, long timeoutMs, boolean connected) {
        java.util.List<IMqttToken> tokens = new java.util.ArrayList<>();
        for (String f : filters) {
            if (drop(f) && connected) {
                try {
                    tokens.add(unsubscribe(f));
                } catch (MqttException e) {
                    LOG.warn("MQTT client {}: unsubscribing from {} failed: {}", client.getClientId(), f, e.getMessage());
                }
            }
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        boolean all = connected;
        for (IMqttToken t : tokens) {
            try {
                t.waitForCompletion(Math.max(1, deadline - System.currentTimeMillis()));
                int[] codes = t.getReasonCodes();
                if (!t.isComplete() || codes != null && java.util.Arrays.stream(codes).anyMatch(c -> c >= 0x80)) {
                    all = false;
                }
            } catch (MqttException e) {
                all = false;
            }
        }
        return all;
    }

    /** Subscribes to every wanted filter on a new connection; the first that cannot be sent throws. */
    void subscribeAll() throws MqttException {
        for (var s : wanted.entrySet()) {
            subscribe(s.getKey(), s.getValue());
        }
    }

    /** Subscribes to every wanted filter after a reconnect; one that cannot be sent is logged and the others go on. */
    void resubscribe() {
        for (var s : wanted.entrySet()) {
            try {
                subscribe(s.getKey(), s.getValue());
            } catch (MqttException e) {
                LOG.warn("MQTT client {}: resubscribing to {} failed: {}", client.getClientId(), s.getKey(), e.getMessage());
            }
        }
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
    IMqttToken subscribe(String filter, int requestedQos) throws MqttException {
        int qos = Math.min(requestedQos, 1);
        String clientId = client.getClientId();
        String topicFilter = brokerFilter(filter);
        if (requestedQos > 1 && qos2Logged.add(topicFilter)) {
            LOG.info("MQTT client {}: {} configured at QoS 2, subscribed at QoS 1 (acked after the commit, idempotent writes: "
                     + "each message stored once; Paho would confirm QoS 2 before the commit)", clientId, topicFilter);
        }
        MqttSubscription subscription = new MqttSubscription(topicFilter, qos);
        subscription.setRetainHandling(1);
        return client.subscribe(new MqttSubscription[] {subscription}, null, new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] codes = token.getReasonCodes();
                if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
                    LOG.error("MQTT client {}: broker refused the subscription to {} (reason code 0x{})", clientId,
                            topicFilter, Integer.toHexString(codes[0]));
                } else {
                    LOG.info("MQTT client {} subscribed to {} (QoS {})", clientId, topicFilter, qos);
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
                LOG.error("MQTT client {}: subscription to {} failed: {}", clientId, topicFilter, e.getMessage());
            }
        }, new MqttProperties());
    }
}
