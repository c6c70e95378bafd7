package io.gridwire.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Route step that collects exchanges into batches and writes each batch through a pipeline of sink stages, each a
 * route ({@code direct:...}) that takes the list of the batch's message bodies; it completes every exchange of a
 * batch only once the last stage committed it. The MQTT consumer acks a message when its exchange completes, so a
 * message is acked only after every sink committed it.
 * <ul>
 * <li>A batch is cut when it holds {@code batchSize} messages or its oldest one waited {@code maxDelayMs}.</li>
 * <li>Stages are pipelined: each has its own thread, so while stage 2 (e.g. Kafka) writes batch k, stage 1
 * (e.g. PostgreSQL ∥ TSDB) already writes batch k+1, and the acks of batch k-1 go out on the ack thread. Each stage
 * takes the batches in order, so a later batch never overtakes an earlier one in any sink, and a stage only sees a
 * batch once every earlier stage committed it (Kafka after the databases: a database outage never sends a Kafka
 * record twice). At most {@code depth} batches wait between two stages.</li>
 * <li>A stage that is unavailable (see {@link SinkFailures#isTransient}) makes its batch wait and retry with
 * exponential backoff (from {@code initialRetryMs}, doubled up to {@code maxRetryMs}): nothing is acked, nothing is
 * dropped; later batches queue behind it.</li>
 * <li>A stage that rejects a batch gets it again in halves, down to single messages; a message it still rejects fails
 * its own exchange with {@link SinkRejectedException}, which the route's dead-letter channel stores, and goes to no
 * later stage. Its batch-mates go on.</li>
 * </ul>
 * While the pipeline works, the MQTT consumer thread is free to receive more messages (the step is asynchronous); the
 * broker's in-flight window ({@code mqtt.receiveMaximum}) bounds how many wait here.
 */
public class AckAfterCommitBatcher extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(AckAfterCommitBatcher.class);

    private record Pending(Exchange exchange, AsyncCallback callback) {
    }

    /** Marks the end of the stream between two pipeline threads (gridwire stopping). */
    private static final List<Pending> END = List.of();

    private final String name;
    private final List<String> stageUris;
    private final int batchSize;
    private final long maxDelayMs;
    private final long initialRetryMs;
    private final long maxRetryMs;
    private final int depth;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private CamelContext camelContext;
    private ProducerTemplate template;
    private volatile boolean running;
    /** Set when a stage gave up (stopping while its sink was down): later batches stay unacked too. */
    private volatile boolean abandoned;

    /**
     * @param name           names the threads and log lines (e.g. {@code energy-telemetry})
     * @param stageUris      the sink stages in order, comma-separated endpoint URIs (e.g.
     *                       {@code direct:energy-telemetry-store,direct:energy-telemetry-publish})
     * @param batchSize      messages per batch at most
     * @param maxDelayMs     ms the first message of a batch waits for more at most
     * @param depth          batches waiting between two stages at most (the pipeline holds about
     *                       {@code (stages + 1) * depth} batches)
     * @param initialRetryMs first backoff (ms) while a sink is unavailable
     * @param maxRetryMs     longest backoff (ms)
     */
    public AckAfterCommitBatcher(String name, String stageUris, int batchSize, long maxDelayMs, int depth,
                                 long initialRetryMs, long maxRetryMs) {
        this.name = name;
        this.stageUris = new ArrayList<>();
        for (String uri : stageUris.split(",")) {
            if (!uri.isBlank()) {
                this.stageUris.add(uri.strip());
            }
        }
        if (this.stageUris.isEmpty()) {
            throw new IllegalArgumentException(name + ": no sink stage given");
        }
        if (batchSize < 1 || depth < 1) {
            throw new IllegalArgumentException(name + ": batch size and pipeline depth must be at least 1");
        }
        this.batchSize = batchSize;
        this.maxDelayMs = maxDelayMs;
        this.depth = depth;
        this.initialRetryMs = initialRetryMs;
        this.maxRetryMs = maxRetryMs;
    }

    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!running) {
            // stopping: leave the message unacked; the broker redelivers it to the next session
            exchange.setException(new RedeliverLaterException(name + " is stopping"));
            callback.done(true);
            return true;
        }
        queue.add(new Pending(exchange, callback));
        return false;
    }

    @Override
    protected void doStart() throws Exception {
        template = camelContext.createProducerTemplate();
        running = true;
        abandoned = false;
        threads.clear();
        BlockingQueue<List<Pending>> in = new ArrayBlockingQueue<>(depth);
        start("batcher-" + name, gather(in));
        for (String uri : stageUris) {
            BlockingQueue<List<Pending>> out = new ArrayBlockingQueue<>(depth);
            start(name + "-" + uri.substring(uri.indexOf(':') + 1), stage(uri, in, out));
            in = out;
        }
        start(name + "-ack", ack(in));
    }

    private void start(String threadName, Runnable work) {
        Thread t = new Thread(work, threadName);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        threads.forEach(Thread::interrupt);
        if (!queue.isEmpty()) {
            LOG.warn("{}: stopping with {} messages not committed; they stay unacked and the broker redelivers them",
                    name, queue.size());
        }
        if (template != null) {
            template.stop();
        }
    }

    /** Cuts batches from the queue and hands them to the first stage; END once stopped and drained. */
    private Runnable gather(BlockingQueue<List<Pending>> out) {
        return () -> {
            try {
                while (running || !queue.isEmpty()) {
                    Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    List<Pending> batch = new ArrayList<>(batchSize);
                    batch.add(first);
                    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
                    while (batch.size() < batchSize) {
                        if (queue.drainTo(batch, batchSize - batch.size()) > 0) {
                            continue;
                        }
                        long left = deadline - System.nanoTime();
                        Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
                        if (next == null) {
                            break;
                        }
                        batch.add(next);
                    }
                    out.put(batch);
                }
                out.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Writes each batch through one stage, in order; passes on what it committed. */
    private Runnable stage(String uri, BlockingQueue<List<Pending>> in, BlockingQueue<List<Pending>> out) {
        return () -> {
            try {
                while (true) {
                    List<Pending> batch = in.take();
                    if (batch == END) {
                        out.put(END);
                        return;
                    }
                    if (abandoned) {
                        continue; // an earlier batch could not be committed before stopping: this one stays unacked too
                    }
                    List<Pending> committed = new ArrayList<>(batch.size());
                    try {
                        if (!writeWithRetry(uri, batch, committed)) {
                            abandoned = true;
                            continue;
                        }
                    } catch (RuntimeException e) {
                        LOG.error("{}: unexpected failure in {}; the batch stays unacked and is redelivered by the broker",
                                name, uri, e);
                        continue;
                    }
                    if (!committed.isEmpty()) {
                        out.put(committed);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Completes the exchanges of batches every stage committed: the MQTT acks go out from here. */
    private Runnable ack(BlockingQueue<List<Pending>> in) {
        return () -> {
            try {
                while (true) {
                    List<Pending> batch = in.take();
                    if (batch == END) {
                        return;
                    }
                    for (Pending p : batch) {
                        try {
                            p.callback().done(false);
                        } catch (RuntimeException e) {
                            LOG.warn("{}: completing a committed message failed: {}", name, e.getMessage());
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /**
     * Writes the batch through the stage until every message is committed (added to {@code committed}) or
     * dead-lettered; false if gridwire stopped while the stage was unavailable.
     */
    private boolean writeWithRetry(String uri, List<Pending> batch, List<Pending> committed) throws InterruptedException {
        long delay = initialRetryMs;
        int attempt = 1;
        while (true) {
            Throwable failure = write(uri, batch);
            if (failure == null) {
                committed.addAll(batch);
                if (attempt > 1) {
                    LOG.info("{}: {} is back; the waiting batch of {} committed at attempt {}", name, uri, batch.size(),
                            attempt);
                }
                return true;
            }
            if (!SinkFailures.isTransient(failure)) {
                if (batch.size() > 1) {
                    LOG.warn("{}: {} rejected a batch of {} ({}); writing it again in halves", name, uri, batch.size(),
                            SinkFailures.describe(failure));
                    int half = batch.size() / 2;
                    return writeWithRetry(uri, batch.subList(0, half), committed)
                           && writeWithRetry(uri, batch.subList(half, batch.size()), committed);
                }
                Pending p = batch.get(0);
                p.exchange().setException(new SinkRejectedException(SinkFailures.describe(failure), failure));
                p.callback().done(false);
                return true;
            }
            if (!running) {
                LOG.warn("{}: stopping while {} is unavailable; {} messages stay unacked for redelivery", name, uri,
                        batch.size() + queue.size());
                return false;
            }
            LOG.warn("{}: {} unavailable (attempt {}, {} messages waiting, retry in {} ms): {}", name, uri, attempt,
                    batch.size() + queue.size(), delay, SinkFailures.describe(failure));
            Thread.sleep(delay);
            delay = Math.min(delay * 2, maxRetryMs);
            attempt++;
        }
    }

    private Throwable write(String uri, List<Pending> batch) {
        List<Object> bodies = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            bodies.add(p.exchange().getMessage().getBody());
        }
        long start = System.nanoTime();
        Exchange result = template.send(uri, e -> e.getMessage().setBody(bodies));
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {} wrote a batch of {} in {} ms ({} waiting){}", name, uri, bodies.size(),
                    (System.nanoTime() - start) / 1_000_000, queue.size(),
                    result.getException() == null ? "" : ", failed: " + result.getException().getMessage());
        }
        return result.getException();
    }
}
