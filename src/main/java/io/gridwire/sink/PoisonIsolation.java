package io.gridwire.sink;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.gridwire.message.SinkFailures;
import io.gridwire.message.SinkRejectedException;
import io.gridwire.mqtt.IngestMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over a batch that keeps failing while its sink answers, to find the poison messages: its parts are written
 * in order, halved down to the single messages that fail alone (suspects). Suspects are rejected (dead letters) only
 * if some part committed meanwhile (the sink takes writes, so the failure is the message's); a part failing while the
 * sink does not answer ends the pass, and it and everything after it is left for the caller to retry, in order.
 */
final class PoisonIsolation {

    // the pipeline's log category: operators filter a pipeline's lines by it
    private static final Logger LOG = LoggerFactory.getLogger(SinkPipeline.class);

    private final StageWriter stage;
    private final int batchAttempts;
    /** Some part committed during this pass: the sink takes writes. */
    private boolean committed;
    /** A part failed while the sink did not answer: nothing more is written in this pass. */
    private boolean sinkDown;
    private final Map<IngestMessage, Throwable> suspects = new IdentityHashMap<>();
    private final Set<IngestMessage> untried = Collections.newSetFromMap(new IdentityHashMap<>());

    /** @param batchAttempts attempts of the whole batch that failed while the sink answered (for the dead letter) */
    PoisonIsolation(StageWriter stage, int batchAttempts) {
        this.stage = stage;
        this.batchAttempts = batchAttempts;
    }

    /** Writes {@code part} (unless it is known to have failed with {@code knownFailure}), halving what fails. */
    void run(List<IngestMessage> part, Throwable knownFailure) {
        if (sinkDown) {
            untried.addAll(part);
            return;
        }
        Throwable f = knownFailure != null ? knownFailure : stage.attempt(part);
        if (f == null) {
            committed = true;
            return;
        }
        boolean permanent = !SinkFailures.isTransient(f);
        if (!permanent && !stage.answers(f)) {
            sinkDown = true;
            untried.addAll(part);
            return;
        }
        if (part.size() == 1) {
            if (permanent) {
                part.get(0).reject(new SinkRejectedException(SinkFailures.describe(f), f));
                return;
            }
            // alone, twice more: a failure that passes is not the message's
            for (int again = 0; again < 2; again++) {
                Throwable retry = stage.attempt(part);
                if (retry == null) {
                    committed = true;
                    return;
                }
                f = retry;
                if (!SinkFailures.isTransient(f) || !stage.answers(f)) {
                    run(part, f); // now refused outright, or the sink stopped answering: as such
                    return;
                }
            }
            suspects.put(part.get(0), f);
            return;
        }
        int half = part.size() / 2;
        run(part.subList(0, half), null);
        run(part.subList(half, part.size()), null);
    }

    /** Rejects the suspects if the sink took writes; returns what is left to retry, in the batch's order. */
    List<IngestMessage> left(List<IngestMessage> batch) {
        if (committed) {
            suspects.forEach((m, f) -> {
                String reason = SinkFailures.describe(f) + " (the sink answers and took the rest of the batch; this message "
                                + "failed alone after " + batchAttempts + " failed attempts of its batch)";
                LOG.warn("{}: {} keeps failing on one message (topic {}) while it takes the others; dead letter: {}",
                        stage.name, stage.uri, m.topic(), reason);
                m.reject(new SinkRejectedException(reason, f));
            });
        }
        List<IngestMessage> left = new ArrayList<>();
        for (IngestMessage m : batch) {
            if (untried.contains(m) || (!committed && suspects.containsKey(m))) {
                left.add(m);
            }
        }
        if (!committed && !suspects.isEmpty()) {
            LOG.warn("{}: {} failed every part of the batch while its sink answers its probe (it takes no writes?); "
                     + "nothing is rejected, the batch waits", stage.name, stage.uri);
        }
        return left;
    }
}
