package io.gridwire.platform;

import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Ordered;
import org.apache.camel.StartupListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up steps families add through {@link Platform#onStart} (migrations, Kafka topics, loading mock devices):
 * run once when the context starts, after the routes are built and before any consumer starts, in the order added; a
 * failure stops start-up.
 */
final class StartupSteps implements StartupListener, Ordered {

    // the platform's log category
    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);

    private record Step(String what, Platform.ThrowingRunnable step) {
    }

    private final List<Step> steps = Collections.synchronizedList(new ArrayList<>());

    void add(String what, Platform.ThrowingRunnable step) {
        steps.add(new Step(what, step));
    }

    @Override
    public void onCamelContextStarting(CamelContext ctx, boolean alreadyStarted) throws Exception {
        if (alreadyStarted) {
            return;
        }
        for (Step s : List.copyOf(steps)) {
            LOG.debug("start-up step: {}", s.what());
            try {
                s.step().run();
            } catch (Exception e) {
                throw new IllegalStateException("start-up step '" + s.what() + "' failed: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST;
    }

    /** Runs a PostgreSQL step, again every second while the database is not reachable, for up to {@code maxMs} ms. */
    static void untilConnected(long maxMs, Platform.ThrowingRunnable step) throws Exception {
        long until = System.currentTimeMillis() + maxMs;
        while (true) {
            try {
                step.run();
                return;
            } catch (SQLTransientConnectionException e) {
                if (System.currentTimeMillis() > until) {
                    throw e;
                }
                LOG.warn("PostgreSQL not reachable yet ({}); retrying", e.getMessage());
                Thread.sleep(1000);
            }
        }
    }
}
