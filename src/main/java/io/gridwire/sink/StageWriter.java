package io.gridwire.sink;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import io.gridwire.message.SinkFailures;
import io.gridwire.message.SinkRejectedException;
import io.gridwire.mqtt.IngestMessage;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches through one stage of a {@link SinkPipeline} until each message is committed or rejected: retries
 * with exponential backoff while the sink is unavailable, halves a batch the sink rejects down to the message it
 * refuses, and hands a batch that keeps failing while its sink answers to {@link PoisonIsolation}. While a batch
 * waits, the pipeline's {@code waiting} map says since when and why.
 */
final class StageWriter {

    // the pipeline's log category: operators filter a pipeline's lines by it
    private static final Logger LOG = LoggerFactory.getLogger(SinkPipeline.class);

    final String name;
    final String uri;
    private final ProducerTemplate template;
    private final RetryPolicy retryPolicy;
    private final Predicate<Throwable> sinkAnswering;
    private final int isolateAfterAttempts;
    private final Map<String, SinkPipeline.Waiting> waiting;
    /** The trace headers of the batch being written (set by the stage's one thread before each batch). */
    private Map<String, Object> traceHeaders = Map.of();

    /**
     * @param name    the pipeline's name, for the log
     * @param uri     the stage's endpoint
     * @param waiting the pipeline's batches waiting per stage URI, updated here
     */
    StageWriter(String name, String uri, ProducerTemplate template, long initialRetryMs, long maxRetryMs,
                Predicate<Throwable> sinkAnswering, int isolateAfterAttempts, Map<String, SinkPipeline.Waiting> waiting) {
        this.name = name;
        this.uri = uri;
        this.template = template;
        this.retryPolicy = new RetryPolicy(initialRetryMs, maxRetryMs);
        this.sinkAnswering = sinkAnswering;
        this.isolateAfterAttempts = isolateAfterAttempts;
        this.waiting = waiting;
    }

    /** The W3C trace headers the stage exchanges of the next batch carry, so the stage's spans join its trace. */
    void traceHeaders(Map<String, Object> headers) {
        this.traceHeaders = headers;
    }

    /**
     * Writes the messages through the stage until each is committed or rejected; false if gridwire stopped
     * ({@code running} false) while the stage was unavailable.
     */
    boolean writeWithRetry(BooleanSupplier running, List<IngestMessage> messages) throws InterruptedException {
        try {
            return retry(running, messages);
        } finally {
            waiting.remove(uri);
        }
    }

    private boolean retry(BooleanSupplier running, List<IngestMessage> messages) throws InterruptedException {
        int attempt = 1;
        int answeredInARow = 0;
        while (true) {
            Throwable failure = attempt(messages);
            if (failure == null) {
                if (attempt > 1) {
                    LOG.info("{}: {} is back; the waiting batch of {} committed at attempt {}", name, uri, messages.size(),
                            attempt);
                }
                return true;
            }
            boolean live = running.getAsBoolean() && !Thread.currentThread().isInterrupted();
            if (!SinkFailures.isTransient(failure) && live) {
                if (messages.size() > 1) {
                    LOG.warn("{}: {} rejected a batch of {} ({}); writing it again in halves", name, uri, messages.size(),
                            SinkFailures.describe(failure));
                    int half = messages.size() / 2;
                    return retry(running, messages.subList(0, half)) && retry(running, messages.subList(half, messages.size()));
                }
                messages.get(0).reject(new SinkRejectedException(SinkFailures.describe(failure), failure));
                return true;
            }
            if (!running.getAsBoolean()) {
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
                PoisonIsolation iso = new PoisonIsolation(this, answeredInARow);
                iso.run(messages, failure);
                List<IngestMessage> left = iso.left(messages);
                if (left.isEmpty()) {
                    return true;
                }
                messages = left;
                answeredInARow = 0;
            }
            long delay = retryPolicy.delayAfter(attempt);
            SinkPipeline.Waiting w = waiting.get(uri);
            waiting.put(uri, new SinkPipeline.Waiting(w == null ? System.nanoTime() : w.sinceNanos(), uri,
                    SinkFailures.describe(failure)));
            LOG.warn("{}: {} unavailable (attempt {}, {} messages waiting, retry in {} ms): {}", name, uri, attempt,
                    messages.size(), delay, SinkFailures.describe(failure));
            Thread.sleep(delay);
            attempt++;
        }
    }

    /** Whether the sink that raised the failure answers its health probe right now (false if the probe fails). */
    boolean answers(Throwable failure) {
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
    Throwable attempt(List<IngestMessage> messages) {
        try {
            return write(messages);
        } catch (RuntimeException e) {
            LOG.error("{}: unexpected failure in {}; retrying", name, uri, e);
            return new IOException("unexpected failure writing to " + uri + ": " + e, e);
        }
    }

    private Throwable write(List<IngestMessage> messages) {
        List<Object> bodies = new ArrayList<>(messages.size());
        for (IngestMessage m : messages) {
            bodies.add(m.body());
        }
        long start = System.nanoTime();
        Map<String, Object> headers = traceHeaders;
        Exchange result = template.send(uri, e -> {
            e.getMessage().setBody(bodies);
            if (!headers.isEmpty()) {
                e.getMessage().getHeaders().putAll(headers);
            }
        });
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {} wrote a batch of {} in {} ms{}", name, uri, bodies.size(),
                    (System.nanoTime() - start) / 1_000_000,
                    result.getException() == null ? "" : ", failed: " + result.getException().getMessage());
        }
        if (result.getException() == null && result.getProperty(SinkPipeline.REJECTED) instanceof Map<?, ?> rejected) {
            rejected.forEach((index, reason) -> messages.get((Integer) index).reject((Exception) reason));
        }
        return result.getException();
    }
}
