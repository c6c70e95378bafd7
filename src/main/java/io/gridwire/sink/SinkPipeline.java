package io.gridwire.sink;

import io.gridwire.message.SinkRejectedException;

import io.gridwire.message.RedeliverLaterException;

import io.gridwire.message.SinkFailures;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.gridwire.mqtt.IngestMessage;

/**
 * Route step of an {@code mqtt-ingest:} route: writes each batch exchange (body {@code List<IngestMessage>}) through a
 * pipeline of sink stages and completes it once the last stage committed it; the consumer then acks its messages.
 * Each stage is a route ({@code direct:...}) that takes the list of the batch's message bodies.
 * <ul>
 * <li>Stages are pipelined: each has its own thread, so while stage 2 (e.g. Kafka) writes batch k, stage 1 (e.g.
 * PostgreSQL ∥ TSDB) already writes batch k+1, and batch k-1 completes (its acks go out) on a thread of its own. Each
 * stage takes the batches in order, so a later batch never overtakes an earlier one in any sink, and a stage only sees
 * a batch once every earlier stage committed it (Kafka after the databases: a database outage never sends a Kafka
 * record twice). At most {@code depth} batches wait before each stage; the caller blocks when the first is full.</li>
 * <li>A stage that is unavailable (see {@link SinkFailures#isTransient}) makes its batch wait and retry with
 * exponential backoff (from {@code initialRetryMs}, doubled up to {@code maxRetryMs}): nothing is acked, nothing is
 * dropped; later batches queue behind it.</li>
 * <li>A stage that rejects a batch gets it again in halves, down to single messages; a message it still rejects is
 * marked rejected ({@link SinkRejectedException} with the sink's reason) and goes to no later stage; the route's next
 * step stores it as a dead letter. Its batch-mates go on. Messages the parser already rejected skip every stage.</li>
 * <li>A stage that can tell a refused message itself (e.g. an unknown device) marks it with {@link #reject} and
 * commits the rest: that message is rejected as above without halving the batch.</li>
 * <li>A failure that looks transient but persists while the sink answers (its health probe, see
 * {@link #setSinkAnswering}, says it is reachable: e.g. the TSDB answering HTTP 500 for one field name, every time)
 * may not heal by retrying: after {@code isolateAfterAttempts} such attempts in a row the batch is written again in
 * halves, in order, down to the single messages that still fail while the sink answers. If another part of the batch
 * committed meanwhile (proof that the sink takes writes), those messages are rejected like above, naming the sink's
 * answer; if nothing committed (a sink that answers its probe but takes no writes: a read-only standby, a full disk)
 * or a part failed while the sink did not answer, nothing is rejected and what is left waits as above.</li>
 * <li>{@link #heldBack()} says since when and why the longest-waiting batch has been waiting, and at which stage (the
 * ingest health check turns it DOWN past a bound).</li>
 * </ul>
 */
public class SinkPipeline extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(SinkPipeline.class);

    /** Exchange property of a stage's exchange: the messages the stage refused, by their index in its body. */
    private static final String REJECTED = "gridwireRejected";

    /**
     * Called by a stage for a message it refuses while it commits the others of its batch: once the stage completes
     * without an exception, that message becomes a dead letter with {@code reason} (as given, e.g. an
     * InvalidMessageException) and goes to no later stage.
     *
     * @param stageExchange the exchange the stage route runs (body: the list of message bodies)
     * @param index         the message's position in that list
     * @param reason        why (the dead letter's reason is its message)
     */
    @SuppressWarnings("unchecked")
    public static void reject(Exchange stageExchange, int index, Exception reason) {
        java.util.Map<Integer, Exception> rejected = stageExchange.getProperty(REJECTED, java.util.Map.class);
        if (rejected == null) {
            rejected = new java.util.HashMap<>();
            stageExchange.setProperty(REJECTED, rejected);
        }
        rejected.put(index, reason);
    }

    private record Batch(Exchange exchange, AsyncCallback callback, List<IngestMessage> messages) {

        /** Gives the batch back unacked: the consumer leaves its messages for the broker to send again. */
        void giveBack(String why) {
            exchange.setException(new RedeliverLaterException(why));
            callback.done(false);
        }
    }

    /** Marks the end of the stream between two pipeline threads (gridwire stopping). */
    private static final Batch END = new Batch(null, null, List.of());

    /**
     * The state of one start of the pipeline (the route stops and starts it on a reload; a thread of the previous
     * start that is still finishing must not touch the next one's).
     */
    private static final class Run {
        final List<BlockingQueue<Batch>> queues = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        volatile boolean running = true;
        /** Set when a stage gave a batch back (stopping while its sink was down): later batches go back too. */
        volatile boolean abandoned;
    }

    private final String name;
    private final List<String> stageUris;
    private final long initialRetryMs;
    private final long maxRetryMs;
    private final int depth;
    private volatile Run run;
    /** Attempts of a batch failing while its sink answers before it is written in halves to isolate what fails. */
    private int isolateAfterAttempts = 5;
    /** Whether the sink that raised a failure answers right now (its health probe); never, unless set. */
    private java.util.function.Predicate<Throwable> sinkAnswering = failure -> false;
    /** Per stage URI, the batch waiting for it: since when (System.nanoTime) and why; absent when none waits. */
    private final java.util.Map<String, Waiting> waiting = new java.util.concurrent.ConcurrentHashMap<>();

    /** A batch waiting for a stage: since (System.nanoTime()), the stage, the last failure. */
    public record Waiting(long sinceNanos, String stage, String reason) {

        /** Milliseconds the batch has waited so far. */
        public long waitedMs() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
        }

        /** "held back N s by STAGE: REASON". */
        public String describe() {
            return "held back " + waitedMs() / 1000 + " s by " + stage + ": " + reason;
        }
    }
    private CamelContext camelContext;
    private ProducerTemplate template;

    /**
     * @param name           names the threads and log lines (e.g. {@code energy-telemetry})
     * @param stageUris      the sink stages in order, comma-separated endpoint URIs (e.g.
     *                       {@code direct:energy-telemetry-store,direct:energy-telemetry-publish})
     * @param depth          batches waiting before each stage at most
     * @param initialRetryMs first backoff (ms) while a sink is unavailable
     * @param maxRetryMs     longest backoff (ms)
     * @throws IllegalArgumentException without a stage, or with a depth below 1
     */
    public SinkPipeline(String name, String stageUris, int depth, long initialRetryMs, long maxRetryMs) {
        this.name = name;
        this.stageUris = new ArrayList<>();
        for (String uri : stageUris.split(",")) {
            if (!uri.isBlank()) {
                this.stageUris.add(uri.strip());
            }
        }
        if (this.stageUris.isEmpty() || depth < 1) {
            throw new IllegalArgumentException(name + ": a sink pipeline needs at least one stage and a depth of at least 1");
        }
        this.depth = depth;
        this.initialRetryMs = initialRetryMs;
        this.maxRetryMs = maxRetryMs;
    }

    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    /**
     * How a failure that looks transient is told from one that will not heal: {@code answering} gets the failure and
     * says whether the sink that raised it is reachable right now (e.g. its health probe is UP).
     *
     * @param answering            true when the failing sink answers
     * @param isolateAfterAttempts attempts of a batch failing while its sink answers before it is halved (at least 1)
     */
    public void setSinkAnswering(java.util.function.Predicate<Throwable> answering, int isolateAfterAttempts) {
        this.sinkAnswering = answering;
        this.isolateAfterAttempts = Math.max(1, isolateAfterAttempts);
    }

    /** The pipeline's name (e.g. {@code energy-telemetry}). */
    public String name() {
        return name;
    }

    /** The batch that has waited longest for an unavailable stage right now, or null when none waits. */
    public Waiting heldBack() {
        Waiting oldest = null;
        for (Waiting w : waiting.values()) {
            if (oldest == null || w.sinceNanos() - oldest.sinceNanos() < 0) {
                oldest = w;
            }
        }
        return oldest;
    }

    /**
     * @param boundMs a bound in ms
     * @return null unless a batch has waited longer than {@code boundMs}; else "held back N s by STAGE: REASON"
     */
    public String heldBackLongerThan(long boundMs) {
        Waiting w = heldBack();
        return w == null || w.waitedMs() <= boundMs ? null : w.describe();
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Run r = run;
        Batch batch = new Batch(exchange, callback, exchange.getMessage().getBody(List.class));
        if (r == null || !r.running) {
            // stopping: leave the batch unacked; the broker sends it again with the session
            batch.giveBack(name + " is stopping");
            return false;
        }
        try {
            r.queues.get(0).put(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            batch.giveBack(name + " interrupted");
            return false;
        }
        // stopped meanwhile: if no thread took the batch, give it back here (else a thread or doStop completes it)
        if (!r.running && r.queues.get(0).remove(batch)) {
            batch.giveBack(name + " is stopping");
        }
        return false;
    }

    @Override
    protected void doStart() throws Exception {
        if (template == null) {
            template = camelContext.createProducerTemplate();
        }
        Run r = new Run();
        r.queues.add(new ArrayBlockingQueue<>(depth));
        for (int i = 0; i < stageUris.size(); i++) {
            r.queues.add(new ArrayBlockingQueue<>(depth));
            String uri = stageUris.get(i);
            start(r, name + "-" + uri.substring(uri.indexOf(':') + 1), stage(r, uri, r.queues.get(i), r.queues.get(i + 1)));
        }
        start(r, name + "-complete", complete(r.queues.get(stageUris.size())));
        run = r;
    }

    private static void start(Run r, String threadName, Runnable work) {
        Thread t = new Thread(work, threadName);
        t.setDaemon(true);
        t.start();
        r.threads.add(t);
    }

    @Override
    protected void doStop() throws Exception {
        Run r = run;
        if (r == null) {
            return;
        }
        r.running = false;
        // END after whatever is queued; a full first queue drains as stage 1 goes on (or is drained below)
        if (!r.queues.get(0).offer(END, 30, TimeUnit.SECONDS)) {
            LOG.warn("{}: stage 1 did not take the end of the stream within 30 s", name);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : r.threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        r.threads.forEach(Thread::interrupt);
        for (Thread t : r.threads) {
            t.join(5000);
        }
        // batches no thread completed: back to the consumer, unacked
        int left = 0;
        for (BlockingQueue<Batch> q : r.queues) {
            for (Batch b = q.poll(); b != null; b = q.poll()) {
                if (b != END) {
                    b.giveBack(name + " stopped before it was committed");
                    left++;
                }
            }
        }
        if (left > 0) {
            LOG.warn("{}: stopped with {} batches not committed; they stay unacked and the broker sends them again", name, left);
        }
    }

    /** Writes each batch through one stage, in order, and passes it on. */
    private Runnable stage(Run r, String uri, BlockingQueue<Batch> in, BlockingQueue<Batch> out) {
        return () -> {
            try {
                while (true) {
                    Batch batch = in.take();
                    if (batch == END) {
                        out.put(END);
                        return;
                    }
                    if (r.abandoned) {
                        // an earlier batch could not be committed before stopping: keep the order, give this one back too
                        batch.giveBack(name + " stopped before it was committed");
                        continue;
                    }
                    List<IngestMessage> live = new ArrayList<>(batch.messages().size());
                    for (IngestMessage m : batch.messages()) {
                        if (!m.rejected()) {
                            live.add(m);
                        }
                    }
                    try {
                        if (!live.isEmpty() && !writeWithRetry(r, uri, live)) {
                            r.abandoned = true;
                            batch.giveBack(name + " stopped while " + uri + " was unavailable");
                            continue;
                        }
                        out.put(batch);
                    } catch (InterruptedException e) {
                        // stopped hard (doStop's deadline passed): this batch goes back, the rest is drained by doStop
                        batch.giveBack(name + " stopped before it was committed");
                        throw e;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Completes the batches every stage committed: the route goes on (dead letters), then the acks go out. */
    private Runnable complete(BlockingQueue<Batch> in) {
        return () -> {
            try {
                while (true) {
                    Batch batch = in.take();
                    if (batch == END) {
                        return;
                    }
                    try {
                        batch.callback().done(false);
                    } catch (RuntimeException e) {
                        LOG.warn("{}: completing a committed batch failed: {}", name, e.getMessage());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /**
     * Writes the messages through the stage until each is committed or rejected; false if gridwire stopped while the
     * stage was unavailable.
     */
    private boolean writeWithRetry(Run r, String uri, List<IngestMessage> messages) throws InterruptedException {
        try {
            return retry(r, uri, messages);
        } finally {
            waiting.remove(uri);
        }
    }

    private boolean retry(Run r, String uri, List<IngestMessage> messages) throws InterruptedException {
        long delay = initialRetryMs;
        int attempt = 1;
        int answeredInARow = 0;
        while (true) {
            Throwable failure = attempt(uri, messages);
            if (failure == null) {
                if (attempt > 1) {
                    LOG.info("{}: {} is back; the waiting batch of {} committed at attempt {}", name, uri, messages.size(),
                            attempt);
                }
                return true;
            }
            boolean live = r.running && !Thread.currentThread().isInterrupted();
            if (!SinkFailures.isTransient(failure) && live) {
                if (messages.size() > 1) {
                    LOG.warn("{}: {} rejected a batch of {} ({}); writing it again in halves", name, uri, messages.size(),
                            SinkFailures.describe(failure));
                    int half = messages.size() / 2;
                    return retry(r, uri, messages.subList(0, half)) && retry(r, uri, messages.subList(half, messages.size()));
                }
                messages.get(0).reject(new SinkRejectedException(SinkFailures.describe(failure), failure));
                return true;
            }
            if (!r.running) {
                LOG.warn("{}: stopping while {} is unavailable; {} messages stay unacked for redelivery", name, uri,
                        messages.size());
                return false;
            }
            // transient by its kind; counted while the sink answers its probe (an outage resets the count)
            answeredInARow = answers(failure) ? answeredInARow + 1 : 0;
            if (answeredInARow >= isolateAfterAttempts && live) {
                LOG.warn("{}: {} keeps failing while its sink answers ({} attempts in a row: {}); writing the batch of {} "
                         + "in halves to find what fails alone", name, uri, answeredInARow, SinkFailures.describe(failure),
                        messages.size());
                Isolation iso = new Isolation(uri, answeredInARow);
                iso.run(messages, failure);
                List<IngestMessage> left = iso.left(messages);
                if (left.isEmpty()) {
                    return true;
                }
                messages = left;
                answeredInARow = 0;
            }
            Waiting w = waiting.get(uri);
            waiting.put(uri, new Waiting(w == null ? System.nanoTime() : w.sinceNanos(), uri, SinkFailures.describe(failure)));
            LOG.warn("{}: {} unavailable (attempt {}, {} messages waiting, retry in {} ms): {}", name, uri, attempt,
                    messages.size(), delay, SinkFailures.describe(failure));
            Thread.sleep(delay);
            delay = Math.min(delay * 2, maxRetryMs);
            attempt++;
        }
    }

    /**
     * One pass over a batch that keeps failing while its sink answers: its parts are written in order, halved down to
     * the single messages that fail alone (suspects). Suspects are rejected only if some part committed meanwhile
     * (the sink takes writes, so the failure is the message's); a part failing while the sink does not answer ends
     * the pass, and it and everything after it is left for the caller to retry, in order.
     */
    private final class Isolation {
        private final String uri;
        private final int batchAttempts;
        /** Some part committed during this pass: the sink takes writes. */
        private boolean committed;
        /** A part failed while the sink did not answer: nothing more is written in this pass. */
        private boolean sinkDown;
        private final java.util.Map<IngestMessage, Throwable> suspects = new java.util.IdentityHashMap<>();
        private final java.util.Set<IngestMessage> untried = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        Isolation(String uri, int batchAttempts) {
            this.uri = uri;
            this.batchAttempts = batchAttempts;
        }

        /** Writes {@code part} (unless it is known to have failed with {@code knownFailure}), halving what fails. */
        void run(List<IngestMessage> part, Throwable knownFailure) {
            if (sinkDown) {
                untried.addAll(part);
                return;
            }
            Throwable f = knownFailure != null ? knownFailure : attempt(uri, part);
            if (f == null) {
                committed = true;
                return;
            }
            boolean permanent = !SinkFailures.isTransient(f);
            if (!permanent && !answers(f)) {
                sinkDown = true;
                untried.addAll(part);
                return;
            }
            if (part.size() == 1) {
                if (permanent) {
                    part.get(0).reject(new SinkRejectedException(SinkFailures.describe(f), f));
                    return;
                }
                // alone, twice more: a failure that passes is not the message's
                for (int again = 0; again < 2; again++) {
                    Throwable retry = attempt(uri, part);
                    if (retry == null) {
                        committed = true;
                        return;
                    }
                    f = retry;
                    if (!SinkFailures.isTransient(f) || !answers(f)) {
                        run(part, f); // now refused outright, or the sink stopped answering: as such
                        return;
                    }
                }
                suspects.put(part.get(0), f);
                return;
            }
            int half = part.size() / 2;
            run(part.subList(0, half), null);
            run(part.subList(half, part.size()), null);
        }

        /** Rejects the suspects if the sink took writes; returns what is left to retry, in the batch's order. */
        List<IngestMessage> left(List<IngestMessage> batch) {
            if (committed) {
                suspects.forEach((m, f) -> {
                    String reason = SinkFailures.describe(f) + " (the sink answers and took the rest of the batch; this message "
                                    + "failed alone after " + batchAttempts + " failed attempts of its batch)";
                    LOG.warn("{}: {} keeps failing on one message (topic {}) while it takes the others; dead letter: {}", name,
                            uri, m.topic(), reason);
                    m.reject(new SinkRejectedException(reason, f));
                });
            }
            List<IngestMessage> left = new ArrayList<>();
            for (IngestMessage m : batch) {
                if (untried.contains(m) || (!committed && suspects.containsKey(m))) {
                    left.add(m);
                }
            }
            if (!committed && !suspects.isEmpty()) {
                LOG.warn("{}: {} failed every part of the batch while its sink answers its probe (it takes no writes?); "
                         + "nothing is rejected, the batch waits", name, uri);
            }
            return left;
        }
    }

    private boolean answers(Throwable failure) {
        try {
            return sinkAnswering.test(failure);
        } catch (RuntimeException e) {
            LOG.debug("{}: probing the sink failed: {}", name, e.toString());
            return false;
        }
    }

    /**
     * One write of the messages through the stage: null once committed, else the failure. A failure of gridwire's own
     * (a RuntimeException out of the stage) is logged and counts as transient: the batch is retried, not rejected.
     */
    private Throwable attempt(String uri, List<IngestMessage> messages) {
        try {
            return write(uri, messages);
        } catch (RuntimeException e) {
            LOG.error("{}: unexpected failure in {}; retrying", name, uri, e);
            return new java.io.IOException("unexpected failure writing to " + uri + ": " + e, e);
        }
    }

    private Throwable write(String uri, List<IngestMessage> messages) {
        List<Object> bodies = new ArrayList<>(messages.size());
        for (IngestMessage m : messages) {
            bodies.add(m.body());
        }
        long start = System.nanoTime();
        Exchange result = template.send(uri, e -> e.getMessage().setBody(bodies));
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {} wrote a batch of {} in {} ms{}", name, uri, bodies.size(),
                    (System.nanoTime() - start) / 1_000_000,
                    result.getException() == null ? "" : ", failed: " + result.getException().getMessage());
        }
        if (result.getException() == null && result.getProperty(REJECTED) instanceof java.util.Map<?, ?> rejected) {
            rejected.forEach((index, reason) -> messages.get((Integer) index).reject((Exception) reason));
        }
        return result.getException();
    }
}
