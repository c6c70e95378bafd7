package io.gridwire.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Route step that collects exchanges into batches, writes each batch through a sink route ({@code direct:...})
 * and completes every exchange of the batch only once the sink route committed it. The MQTT consumer acks a
 * message when its exchange completes, so a message is acked only after every sink committed it.
 * <ul>
 * <li>A batch is written when it holds {@code batchSize} messages or its oldest one waited {@code maxDelayMs}.</li>
 * <li>A sink that is unavailable (see {@link SinkFailures#isTransient}) makes the batch wait and retry with
 * exponential backoff: nothing is acked, nothing is dropped.</li>
 * <li>A sink that rejects the batch gets its messages one at a time; a message it still rejects fails its own
 * exchange with {@link SinkRejectedException}, which the route's dead-letter channel stores. Its batch-mates land.</li>
 * </ul>
 * While the route is processing, the MQTT consumer thread is free to receive more messages (the step is
 * asynchronous); the broker's in-flight window bounds how many wait here.
 */
public class AckAfterCommitBatcher extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(AckAfterCommitBatcher.class);

    private record Pending(Exchange exchange, AsyncCallback callback) {
    }

    private final String name;
    private final String sinkUri;
    private final int batchSize;
    private final long maxDelayMs;
    private final long initialRetryMs;
    private final long maxRetryMs;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private CamelContext camelContext;
    private ProducerTemplate template;
    private Thread worker;
    private volatile boolean running;

    public AckAfterCommitBatcher(String name, String sinkUri, int batchSize, long maxDelayMs, long initialRetryMs,
                                 long maxRetryMs) {
        this.name = name;
        this.sinkUri = sinkUri;
        this.batchSize = batchSize;
        this.maxDelayMs = maxDelayMs;
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
        worker = new Thread(this::run, "batcher-" + name);
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        if (worker != null) {
            worker.join(TimeUnit.SECONDS.toMillis(30));
            worker.interrupt();
        }
        if (!queue.isEmpty()) {
            LOG.warn("{}: stopping with {} messages not committed; they stay unacked and the broker redelivers them",
                    name, queue.size());
        }
        if (template != null) {
            template.stop();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(batchSize);
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
                while (batch.size() < batchSize) {
                    long left = deadline - System.nanoTime();
                    Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                if (!writeWithRetry(batch)) {
                    return; // stopped while a sink was down: the batch stays unacked
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("{}: unexpected failure; the batch stays unacked and is redelivered by the broker", name, e);
            } finally {
                batch.clear();
            }
        }
    }

    /** Writes the batch until every message is committed or dead-lettered; false if stopped meanwhile. */
    private boolean writeWithRetry(List<Pending> batch) throws InterruptedException {
        long delay = initialRetryMs;
        int attempt = 1;
        while (true) {
            Throwable failure = write(batch);
            if (failure == null) {
                batch.forEach(p -> p.callback().done(false));
                if (attempt > 1) {
                    LOG.info("{}: sinks are back; the waiting batch of {} committed at attempt {}", name, batch.size(),
                            attempt);
                }
                return true;
            }
            if (!SinkFailures.isTransient(failure)) {
                if (batch.size() > 1) {
                    LOG.warn("{}: a sink rejected a batch of {} ({}); writing its messages one by one", name,
                            batch.size(), SinkFailures.describe(failure));
                    for (Pending p : batch) {
                        if (!writeWithRetry(List.of(p))) {
                            return false;
                        }
                    }
                    return true;
                }
                Pending p = batch.get(0);
                p.exchange().setException(new SinkRejectedException(SinkFailures.describe(failure), failure));
                p.callback().done(false);
                return true;
            }
            if (!running) {
                LOG.warn("{}: stopping while a sink is unavailable; {} messages stay unacked for redelivery", name,
                        batch.size());
                return false;
            }
            LOG.warn("{}: sink unavailable (attempt {}, {} messages waiting, retry in {} ms): {}", name, attempt,
                    batch.size() + queue.size(), delay, SinkFailures.describe(failure));
            Thread.sleep(delay);
            delay = Math.min(delay * 2, maxRetryMs);
            attempt++;
        }
    }

    private Throwable write(List<Pending> batch) {
        List<Object> bodies = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            bodies.add(p.exchange().getMessage().getBody());
        }
        long start = System.nanoTime();
        Exchange result = template.send(sinkUri, e -> e.getMessage().setBody(bodies));
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: wrote batch of {} in {} ms ({} waiting){}", name, bodies.size(),
                    (System.nanoTime() - start) / 1_000_000, queue.size(),
                    result.getException() == null ? "" : ", failed: " + result.getException().getMessage());
        }
        return result.getException();
    }
}
