package io.gridwire.platform;

import org.apache.camel.support.SimpleEventNotifierSupport;

/**
 * Base of gridwire's event notifiers, which react to context and route life-cycle events only: they opt out of
 * exchange and step events, so Camel does not offer them every message (a cost on the ingest path per message).
 */
public abstract class LifecycleNotifier extends SimpleEventNotifierSupport {

    protected LifecycleNotifier() {
        setIgnoreExchangeEvents(true);
        setIgnoreStepEvents(true);
    }

    /**
     * Waits while the supervising route controller does its first start of the routes (it runs after the context's
     * started event, on the main thread). Adding or starting a route from another thread meanwhile can deadlock it.
     *
     * @param timeoutMs how long to wait at most (ms)
     * @return true once the routes are started, false on timeout or interrupt
     */
    protected static boolean awaitRoutesStarted(org.apache.camel.CamelContext context, long timeoutMs) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (context.getRouteController().isStartingRoutes()) {
            if (System.nanoTime() - until > 0) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
