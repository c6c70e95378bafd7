package io.gridwire.mqtt;


import io.gridwire.message.PayloadParser;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultConsumer;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * Consumer of an {@code mqtt-ingest:} route: one Camel exchange per batch of MQTT messages, acked only once the route
 * completed it.
 * <ul>
 * <li>On the MQTT client's thread, per message, only what must be: the topic's named levels and the family's
 * {@link PayloadParser}; a message it refuses stays in the batch, rejected, with the reason.</li>
 * <li>A gatherer thread cuts batches ({@code batchSize} messages, or the first one waited {@code maxDelayMs}) and sends
 * each into the route as one exchange, body {@code List<IngestMessage>}, in arrival order.</li>
 * <li>When the route completes a batch without an exception, every message of it is acked (the route's steps have by
 * then committed it in its sinks, or stored it as a dead letter); a batch that failed stays unacked, and the broker
 * sends it again with the session after the next connect.</li>
 * <li>Stopping: messages still queued go out as a last batch (the graceful shutdown waits for it); a message arriving
 * after that is not acked and comes back with the session. A consumer whose client shares its subscriptions (a member
 * of a shared subscription group) first leaves the group and drains: it unsubscribes, then goes on taking, committing
 * and acking what the broker had already given this session until nothing came for the client's quiet time and
 * everything is acked (at most {@value #DRAIN_MAX_MS} ms), because a session that ends takes its unacked messages with it.</li>
 * </ul>
 */
public class MqttIngestConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(MqttIngestConsumer.class);

    private final MqttIngestEndpoint endpoint;
    private final TopicPattern pattern;
    /** Exchange property of a batch exchange: the {@link TopicPattern} its topics were read with. */
    public static final String TOPIC_PATTERN = "gridwireTopicPattern";
    /** Topic levels and the family's parser, for each message (received, or read back from the buffer). */
    private final MessageReading reading;
    /** kafka-first: the buffer's two sides; null in direct mode. */
    private final StoredBatches stored;
    private final LinkedBlockingQueue<IngestMessage> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger awaitingAck = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
    /**
     * The longest a shared consumer drains on stop, in milliseconds: the families' routes drain one after another within
     * camel.main.shutdownTimeout (45 s); one that runs out keeps its session, so nothing is lost.
     */
    static final long DRAIN_MAX_MS = 8_000;
    private volatile long lastArrivalNanos;
    /** A message was left unacked while stopping (a failed batch, a message after the last batch): keep the session. */
    private volatile boolean leftBehind;
    /** Receipt times of unacked messages without a timestamp, for the copies the broker sends again. */
    private final Receipts receipts;
    private final java.util.concurrent.atomic.AtomicLong committed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong deadLettered = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean accepting;
    private volatile java.time.Instant lastCommitted;
    private Thread gatherer;
    /** kafka-first: reads the stored batches back into the route; null in direct mode. */
    private AutoCloseable reader;

    MqttIngestConsumer(MqttIngestEndpoint endpoint, org.apache.camel.Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.pattern = TopicPattern.of(endpoint.getTopic());
        this.reading = new MessageReading(pattern, endpoint.getParser());
        this.stored = endpoint.getBuffer() == null ? null : new StoredBatches(this, endpoint.getBuffer(), reading);
        // the broker keeps a message for its resent copy no longer than the session lasts
        Long expiry = endpoint.getClient() instanceof DeferredConnectMqttClient d ? d.sessionExpirySeconds() : null;
        this.receipts = new Receipts(100_000, expiry == null ? TimeUnit.DAYS.toSeconds(1) : expiry);
    }

    /** Messages received and not yet acked (queued, in a batch the route works on, or waiting for their ack). */
    public int awaitingAck() {
        return awaitingAck.get();
    }

    /** A batch's messages acked or given up (stopping): no longer awaiting their ack. */
    void settled(int messages) {
        awaitingAck.addAndGet(-messages);
    }

    /** When a batch last completed with a message committed in every sink; null before the first. */
    public java.time.Instant lastCommitted() {
        return lastCommitted;
    }

    /** Messages received from the broker since this consumer started (redeliveries included). */
    public long received() {
        return received.get();
    }

    /** Messages acked since this consumer started: committed in every sink, or stored as dead letters. */
    public long acked(boolean asDeadLetters) {
        return asDeadLetters ? deadLettered.get() : committed.get();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        accepting = true;
        gatherer = new Thread(this::gather, "mqtt-ingest-" + getRouteId());
        gatherer.setDaemon(true);
        gatherer.start();
        MqttClient client = endpoint.getClient();
        client.setCallback(new MqttCallbackAdapter() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                receive(topic, message);
            }
        });
        if (endpoint.getBuffer() != null) {
            // the raw topic exists, with its configured partitions, before the first message is stored
            endpoint.getBuffer().prepare(getRouteId());
        }
        client.subscribe(endpoint.getTopic(), endpoint.getQos());
        if (endpoint.getBuffer() != null) {
            // kafka-first: what this route stored (on any instance) comes back here, through the route's sinks
            reader = endpoint.getBuffer().read(getRouteId(), endpoint.getBatchSize(), stored::route);
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (accepting && endpoint.getClient() instanceof DeferredConnectMqttClient d && d.sharedGroup() != null) {
            // messages arriving meanwhile are taken (accepting stays true until the drain is over)
            drain(d);
        }
        // unshared: no unsubscribe, the persistent session keeps queueing for gridwire while it is away
        accepting = false;
        if (gatherer != null) {
            gatherer.join(TimeUnit.SECONDS.toMillis(10));
            gatherer.interrupt();
        }
        if (reader != null) {
            reader.close(); // what it had not committed is read again by the reader that takes the partitions over
            reader = null;
        }
        super.doStop();
    }

    /**
     * Leaves the shared group and takes what the broker had already given this session (see the class comment); marks
     * the client drained only when everything was acked, so its session ends at shutdown only then.
     */
    private void drain(DeferredConnectMqttClient d) {
        d.setDrained(false);
        leftBehind = false;
        long start = System.currentTimeMillis();
        long before = received.get();
        boolean unsubscribed = d.drainSubscriptions(5000);
        long quietNanos = TimeUnit.MILLISECONDS.toNanos(d.drainQuietMs());
        long unsubscribedAt = System.nanoTime();
        try {
            while (System.currentTimeMillis() - start < DRAIN_MAX_MS) {
                long sinceLast = System.nanoTime() - Math.max(unsubscribedAt, lastArrivalNanos);
                if (sinceLast >= quietNanos && awaitingAck.get() == 0) {
                    break;
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            // the shutdown ran out of time: the session keeps what is not acked
            Thread.currentThread().interrupt();
        }
        int left = awaitingAck.get();
        long took = System.currentTimeMillis() - start;
        if (left == 0 && unsubscribed && !leftBehind) {
            d.setDrained(true);
            LOG.info("{}: left shared group {} (unsubscribed); drained {} messages in {} ms, all acked", getRouteId(),
                    d.sharedGroup(), received.get() - before, took);
        } else {
            LOG.warn("{}: left shared group {} ({}); after {} ms {} messages are unacked: the session is kept, so they come "
                     + "back when this instance returns with its id", getRouteId(), d.sharedGroup(),
                    unsubscribed ? "unsubscribed" : "could not unsubscribe", took, left);
        }
    }

    private void receive(String topic, MqttMessage message) {
        if (!accepting) {
            // not acked: the broker sends it again with the session, which must therefore stay
            keepSession();
            return;
        }
        received.incrementAndGet();
        lastArrivalNanos = System.nanoTime();
        IngestMessage m = new IngestMessage(topic, message.getPayload(), message.getId(), message.getQos(), connection());
        // a payload without a timestamp is stamped on receipt; a copy the broker sends again (its ack was lost) takes
        // the original's receipt time (Receipts), so it lands under the same key
        String receiptKey = null;
        Instant original = null;
        if (!receipts.isEmpty() && endpoint.getClient() instanceof DeferredConnectMqttClient d
            && d.connectionAgeNanos() < TimeUnit.SECONDS.toNanos(Receipts.COPY_WINDOW_S)) {
            receiptKey = Receipts.key(topic, m.payload());
            original = receipts.original(receiptKey, m.connection(), d.sessionStartEpoch(), d.connectionAgeNanos());
        }
        // the receipt time the message takes: every stored one (kafka-first), a parsed one only when it had no timestamp
        Instant stamped;
        if (endpoint.getBuffer() != null) {
            // kafka-first: stored as received (parsed by the reader); every copy takes the first receipt time
            stamped = original != null ? original : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            m.body(new IngestBuffer.Stored(topic, m.payload(), reading.key(topic), stamped));
        } else {
            stamped = reading.parse(m, original);
        }
        if (stamped != null && m.qos() > 0 && receipts.enabled()) {
            m.receipt(receipts.received(receiptKey != null ? receiptKey : Receipts.key(topic, m.payload()), stamped, m.connection()));
        }
        awaitingAck.incrementAndGet();
        queue.add(m);
    }

    /** Cuts batches and sends each into the route; ends once stopped and the queue is drained. */
    private void gather() {
        int size = endpoint.getBatchSize();
        long maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(endpoint.getMaxDelayMs());
        try {
            while (accepting || !queue.isEmpty()) {
                IngestMessage first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<IngestMessage> batch = new ArrayList<>(size);
                batch.add(first);
                long deadline = System.nanoTime() + maxDelayNanos;
                while (batch.size() < size) {
                    if (queue.drainTo(batch, size - batch.size()) > 0) {
                        continue;
                    }
                    long left = deadline - System.nanoTime();
                    IngestMessage next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                route(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void route(List<IngestMessage> batch) {
        if (stored != null) {
            stored.storeThenAck(batch);
            return;
        }
        Exchange exchange = createExchange(false);
        exchange.getMessage().setBody(batch);
        // the family's level names, for the batch's trace (device ids)
        exchange.setProperty(TOPIC_PATTERN, pattern);
        getAsyncProcessor().process(exchange, doneSync -> {
            try {
                completed(exchange, batch);
            } finally {
                releaseExchange(exchange, false);
            }
        });
    }

    /** A message left unacked while stopping: the session (shared) must stay. */
    void keepSession() {
        leftBehind = true;
        if (endpoint.getClient() instanceof DeferredConnectMqttClient d) {
            d.setDrained(false);
        }
    }

    private int connection() {
        return endpoint.getClient() instanceof DeferredConnectMqttClient d ? d.connectionEpoch() : 0;
    }

    private void completed(Exchange exchange, List<IngestMessage> batch) {
        if (exchange.getException() != null) {
            // gridwire stopping gives batches back this way too; only a failure while running needs a reconnect
            awaitingAck.addAndGet(-batch.size());
            LOG.warn("{}: a batch of {} was not completed ({}); it stays unacked and comes back with the session",
                    getRouteId(), batch.size(), exchange.getException().getMessage());
            if (endpoint.getClient() instanceof DeferredConnectMqttClient d) {
                if (isRunAllowed()) {
                    // MQTT 5 sends unacked messages again only on a new connection
                    d.redeliverUnacked("a batch failed on route " + getRouteId());
                } else {
                    keepSession(); // stopping: the session must keep the batch
                }
            }
            return;
        }
        count(batch);
        ack(batch);
        awaitingAck.addAndGet(-batch.size());
    }

    /** Counts a completed batch's messages: committed in every sink, or dead letters. */
    void count(List<IngestMessage> batch) {
        for (IngestMessage m : batch) {
            (m.rejected() ? deadLettered : committed).incrementAndGet();
            if (!m.rejected()) {
                lastCommitted = java.time.Instant.now();
            }
        }
    }

    /** Acks each message of the batch on the connection it arrived on (see {@link DeferredConnectMqttClient#connectionEpoch()}). */
    void ack(List<IngestMessage> batch) {
        MqttClient client = endpoint.getClient();
        int current = connection();
        for (IngestMessage m : batch) {
            try {
                if (m.qos() > 0 && m.connection() == current) {
                    client.messageArrivedComplete(m.mqttId(), m.qos());
                    if (m.receipt() != null) {
                        receipts.acked(m.receipt());
                    }
                } else if (m.qos() > 0) {
                    // arrived on an earlier connection: the broker sent it again on this one, where that copy is acked
                    LOG.debug("{}: message {} arrived on an earlier connection; not acked here", getRouteId(), m.mqttId());
                }
            } catch (MqttException e) {
                LOG.debug("{}: ack of message {} not sent ({}); it comes back with the session", getRouteId(), m.mqttId(),
                        e.getMessage());
            }
        }
    }
}
