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

    private final RetryPolicy policy;

    /** Waits by delivery.retry.*: {@code initialDelayMs} doubling up to {@code maxDelayMs} ({@link RetryPolicy}). */
    public UntilAvailable(long initialDelayMs, long maxDelayMs) {
        this.policy = new RetryPolicy(initialDelayMs, maxDelayMs);
    }

    /**
     * Runs the work until it succeeds or fails for a reason retrying cannot change.
     *
     * @param what names the work in the log and in a RedeliverLaterException
     * @return the work's answer
     * @throws Exception the work's failure when it is not transient; RedeliverLaterException when gridwire stops meanwhile
     */
    public <T> T run(CamelContext context, String what, Work<T> work) throws Exception {
        int failed = 0;
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
                long delay = policy.delayAfter(++failed);
                LOG.warn("{}: unavailable, retry in {} ms: {}", what, delay, SinkFailures.describe(e));
                Thread.sleep(delay);
            }
        }
    }
}
