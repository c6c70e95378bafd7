package io.gridwire.support;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Numbered rounds at a fixed rate on a thread of its own (devices publishing every period), for a test that streams
 * while something else happens (an instance stops, a sink is down); {@link #awaitDone} waits for the last round.
 */
public final class Paced implements AutoCloseable {

    /** One round's work; a failure ends the stream and is thrown by {@link #awaitDone}. */
    @FunctionalInterface
    public interface Round {
        void run(int round) throws Exception;
    }

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "paced-rounds");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger done = new AtomicInteger();
    private final int rounds;
    private volatile Exception failure;

    private Paced(int rounds) {
        this.rounds = rounds;
    }

    /** Starts {@code rounds} rounds, 0..rounds-1, one every {@code period} (the first at once). */
    public static Paced start(int rounds, Duration period, Round round) {
        Paced p = new Paced(rounds);
        p.timer.scheduleAtFixedRate(() -> {
            int n = p.done.get();
            if (n >= rounds || p.failure != null) {
                return;
            }
            try {
                round.run(n);
                p.done.incrementAndGet();
            } catch (Exception e) {
                p.failure = e;
            }
        }, 0, period.toNanos(), TimeUnit.NANOSECONDS);
        return p;
    }

    /** Rounds done so far. */
    public int done() {
        return done.get();
    }

    /**
     * Waits until every round ran.
     *
     * @throws IllegalStateException a round failed (its cause attached)
     */
    public void awaitDone(Duration atMost) {
        await("paced rounds").atMost(atMost).until(() -> done.get() >= rounds || failure != null);
        if (failure != null) {
            throw new IllegalStateException("round " + done.get() + " failed: " + failure, failure);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
