package io.gridwire.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/**
 * "Nothing more arrives" checks with Awaitility instead of fixed sleeps: wait until a value stops changing, or
 * require that it keeps a value for a while.
 */
public final class Quiet {

    private Quiet() {
    }

    /** Waits (up to 60 s) until the value is the same on two polls {@code quiet} apart, and returns it. */
    public static <T> T settled(String what, Callable<T> value, Duration quiet) {
        AtomicReference<T> last = new AtomicReference<>();
        AtomicReference<Boolean> first = new AtomicReference<>(true);
        await(what + " settles").atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(quiet).until(() -> {
            T now = value.call();
            boolean same = !first.getAndSet(false) && Objects.equals(now, last.get());
            last.set(now);
            return same;
        });
        return last.get();
    }

    /** Fails unless the value equals {@code expected} throughout {@code during}. */
    public static <T> void stays(String what, Callable<T> value, T expected, Duration during) {
        await(what).during(during).atMost(during.plusSeconds(5)).until(() -> Objects.equals(value.call(), expected));
    }
}
