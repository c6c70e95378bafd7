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
}
