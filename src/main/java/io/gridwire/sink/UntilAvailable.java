package io.gridwire.sink;

import io.gridwire.message.RedeliverLaterException;

import io.gridwire.message.SinkFailures;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a piece of work again, with backoff, for as long as it fails because something it needs is unavailable
 * (SinkFailures.isTransient); any other failure goes straight back to the caller. While gridwire stops, it gives up
 * with RedeliverLaterException, so the message stays unacked instead of becoming a dead letter.
 */
public final class UntilAvailable {

    private static final Logger LOG = LoggerFactory.getLogger(UntilAvailable.class);

    /** The work to run. */
    public interface Work<T> {
        T run() throws Exception;
    }

    private final long initialDelayMs;
    private final long maxDelayMs;

    public UntilAvailable(long initialDelayMs, long maxDelayMs) {
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
    }

    public <T> T run(CamelContext context, String what, Work<T> work) throws Exception {
        long delay = initialDelayMs;
        while (true) {
            try {
                return work.run();
            } catch (Exception e) {
                if (!SinkFailures.isTransient(e)) {
                    throw e;
                }
                if (context.isStopping() || context.isStopped()) {
                    throw new RedeliverLaterException(what + " not done, gridwire is stopping: " + SinkFailures.describe(e));
                }
                LOG.warn("{}: unavailable, retry in {} ms: {}", what, delay, SinkFailures.describe(e));
                Thread.sleep(delay);
                delay = Math.min(delay * 2, maxDelayMs);
            }
        }
    }
}
