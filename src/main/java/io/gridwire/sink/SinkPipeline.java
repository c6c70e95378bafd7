package io.gridwire.sink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.gridwire.message.SinkFailures;
import io.gridwire.message.SinkRejectedException;
import io.gridwire.mqtt.IngestMessage;

import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.AsyncProcessorSupport;


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
 * The threads of one start are {@link PipelineRun}'s; retrying, halving and isolating a stage's batch are
 * {@link StageWriter}'s and {@link PoisonIsolation}'s.
 */
public class SinkPipeline extends AsyncProcessorSupport {

    /** Exchange property of a stage's exchange: the messages the stage refused, by their index in its body. */
    static final String REJECTED = "gridwireRejected";

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
        Map<Integer, Exception> rejected = stageExchange.getProperty(REJECTED, Map.class);
        if (rejected == null) {
            rejected = new HashMap<>();
            stageExchange.setProperty(REJECTED, rejected);
        }
        rejected.put(index, reason);
    }

    private final String name;
    private final List<String> stageUris;
    private final long initialRetryMs;
    private final long maxRetryMs;
    private final int depth;
    private volatile PipelineRun run;
    /** Attempts of a batch failing while its sink answers before it is written in halves to isolate what fails. */
    private int isolateAfterAttempts = 5;
    /** Whether the sink that raised a failure answers right now (its health probe); never, unless set. */
    private Predicate<Throwable> sinkAnswering = failure -> false;
    /** Per stage URI, the batch waiting for it: since when (System.nanoTime) and why; absent when none waits. */
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

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

    /** The context whose producer template writes to the stages (set before start). */
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
    public void setSinkAnswering(Predicate<Throwable> answering, int isolateAfterAttempts) {
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

    /**
     * Queues a batch exchange (body {@code List<IngestMessage>}) for the first stage, blocking while {@code depth}
     * batches wait there. The callback is called once every stage committed the batch, or with a
     * RedeliverLaterException (the messages stay unacked) when gridwire stops first.
     *
     * @return false: the batch always completes on another thread
     */
    @Override
    @SuppressWarnings("unchecked")
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineRun r = run;
        List<IngestMessage> messages = exchange.getMessage().getBody(List.class);
        PipelineRun.Batch batch = new PipelineRun.Batch(exchange, BatchSpans.describe(name, exchange, messages, callback), messages,
                BatchSpans.traceHeaders(exchange));
        if (r == null || !r.running) {
            // stopping: leave the batch unacked; the broker sends it again with the session
            batch.giveBack(name + " is stopping");
            return false;
        }
        r.accept(batch);
        return false;
    }

    @Override
    protected void doStart() throws Exception {
        if (template == null) {
            template = camelContext.createProducerTemplate();
        }
        List<StageWriter> writers = new ArrayList<>();
        for (String uri : stageUris) {
            writers.add(new StageWriter(name, uri, template, initialRetryMs, maxRetryMs, sinkAnswering, isolateAfterAttempts,
                    waiting));
        }
        run = new PipelineRun(name, depth, writers);
    }

    @Override
    protected void doStop() throws Exception {
        PipelineRun r = run;
        if (r != null) {
            r.stop();
        }
    }
}
