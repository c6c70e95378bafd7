package io.gridwire.sink;

import io.github.resilience4j.core.IntervalFunction;

/**
 * The one delivery retry policy ({@code delivery.retry.*}): while a sink or PostgreSQL is unavailable, the same work is
 * tried again after {@code initialDelayMs}, then twice as long each time, never longer than {@code maxDelayMs}
 * (resilience4j's exponential {@link IntervalFunction}). Every sink pipeline stage, every retried database step
 * ({@link UntilAvailable}) and the dead-letter store wait by it.
 */
public final class RetryPolicy {

    private final IntervalFunction backoff;

    /**
     * @param initialDelayMs the first wait, in ms (at least 1)
     * @param maxDelayMs     the longest wait, in ms
     * @throws IllegalArgumentException for a first wait under 1 ms or a longest wait shorter than the first
     */
    public RetryPolicy(long initialDelayMs, long maxDelayMs) {
        if (initialDelayMs < 1 || maxDelayMs < initialDelayMs) {
            throw new IllegalArgumentException("delivery.retry: initialDelayMs must be >= 1 and maxDelayMs >= initialDelayMs, got "
                                               + initialDelayMs + " and " + maxDelayMs);
        }
        this.backoff = IntervalFunction.ofExponentialBackoff(initialDelayMs, 2.0, maxDelayMs);
    }

    /**
     * @param failedAttempts how many attempts failed so far (1 after the first)
     * @return how long to wait before the next attempt, in ms
     */
    public long delayAfter(int failedAttempts) {
        return backoff.apply(Math.max(1, failedAttempts));
    }
}
