package io.gridwire.platform;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes on stop what was registered ({@link Platform#closeOnStop}), newest first: the families' clients, then the
 * shared resources the platform registered before them. Added to the context before any pipeline, so it stops after every route and
 * pipeline (services stop in reverse order): acks of finished messages went out before the clients disconnect.
 */
final class ClosingService extends ServiceSupport {

    // the platform's log category
    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);

    private final List<AutoCloseable> closeOnStop = Collections.synchronizedList(new ArrayList<>());

    void add(AutoCloseable resource) {
        closeOnStop.add(resource);
    }

    @Override
    protected void doStop() {
        List<AutoCloseable> all = new ArrayList<>(closeOnStop);
        Collections.reverse(all);
        all.forEach(ClosingService::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("close failed: {}", e.getMessage());
        }
    }
}
