package io.gridwire.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import io.gridwire.message.RedeliverLaterException;
import io.gridwire.mqtt.IngestMessage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One start of a {@link SinkPipeline}: a thread per stage, each taking batches in order from a bounded queue and
 * passing them on once committed, and a thread completing the batches every stage committed (the acks go out). The
 * route stops and starts the pipeline on a reload; a thread of the previous start that is still finishing must not
 * touch the next one's, so each start has its own queues and flags.
 */
final class PipelineRun {

    // the pipeline's log category: operators filter a pipeline's lines by it
    private static final Logger LOG = LoggerFactory.getLogger(SinkPipeline.class);

    /** A batch exchange of the route, its callback, its messages and its trace headers (for the stage exchanges). */
    record Batch(Exchange exchange, AsyncCallback callback, List<IngestMessage> messages, Map<String, Object> traceHeaders) {

        /** Gives the batch back unacked: the consumer leaves its messages for the broker to send again. */
        void giveBack(String why) {
            exchange.setException(new RedeliverLaterException(why));
            callback.done(false);
        }
    }

    /** Marks the end of the stream between two pipeline threads (gridwire stopping). */
    private static final Batch END = new Batch(null, null, List.of(), Map.of());

    private final String name;
    private final List<BlockingQueue<Batch>> queues = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    volatile boolean running = true;
    /** Set when a stage gave a batch back (stopping while its sink was down): later batches go back too. */
    private volatile boolean abandoned;

    /** Starts the threads: one per stage, in order, then the completing one; at most {@code depth} batches per queue. */
    PipelineRun(String name, int depth, List<StageWriter> stages) {
        this.name = name;
        queues.add(new ArrayBlockingQueue<>(depth));
        for (int i = 0; i < stages.size(); i++) {
            queues.add(new ArrayBlockingQueue<>(depth));
            StageWriter writer = stages.get(i);
            start(name + "-" + writer.uri.substring(writer.uri.indexOf(':') + 1), stage(writer, queues.get(i), queues.get(i + 1)));
        }
        start(name + "-complete", complete(queues.get(stages.size())));
    }

    private void start(String threadName, Runnable work) {
        Thread t = new Thread(work, threadName);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    /** Queues the batch for the first stage, blocking while that queue is full; gives it back if stopped meanwhile. */
    void accept(Batch batch) {
        try {
            queues.get(0).put(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            batch.giveBack(name + " interrupted");
            return;
        }
        // stopped meanwhile: if no thread took the batch, give it back here (else a thread or stop() completes it)
        if (!running && queues.get(0).remove(batch)) {
            batch.giveBack(name + " is stopping");
        }
    }

    /**
     * Lets the threads finish what is queued (up to 30 s), then interrupts them; batches no thread completed go back
     * to the consumer unacked.
     */
    void stop() throws InterruptedException {
        running = false;
        // END after whatever is queued; a full first queue drains as stage 1 goes on (or is drained below)
        if (!queues.get(0).offer(END, 30, TimeUnit.SECONDS)) {
            LOG.warn("{}: stage 1 did not take the end of the stream within 30 s", name);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            t.join(5000);
        }
        int left = 0;
        for (BlockingQueue<Batch> q : queues) {
            for (Batch b = q.poll(); b != null; b = q.poll()) {
                if (b != END) {
                    b.giveBack(name + " stopped before it was committed");
                    left++;
                }
            }
        }
        if (left > 0) {
            LOG.warn("{}: stopped with {} batches not committed; they stay unacked and the broker sends them again", name, left);
        }
    }

    /** Writes each batch through one stage, in order, and passes it on. */
    private Runnable stage(StageWriter writer, BlockingQueue<Batch> in, BlockingQueue<Batch> out) {
        return () -> {
            try {
                while (true) {
                    Batch batch = in.take();
                    if (batch == END) {
                        out.put(END);
                        return;
                    }
                    if (abandoned) {
                        // an earlier batch could not be committed before stopping: keep the order, give this one back too
                        batch.giveBack(name + " stopped before it was committed");
                        continue;
                    }
                    List<IngestMessage> live = new ArrayList<>(batch.messages().size());
                    for (IngestMessage m : batch.messages()) {
                        if (!m.rejected()) {
                            live.add(m);
                        }
                    }
                    try {
                        writer.traceHeaders(batch.traceHeaders());
                        if (!live.isEmpty() && !writer.writeWithRetry(() -> running, live)) {
                            abandoned = true;
                            batch.giveBack(name + " stopped while " + writer.uri + " was unavailable");
                            continue;
                        }
                        out.put(batch);
                    } catch (InterruptedException e) {
                        // stopped hard (stop()'s deadline passed): this batch goes back, the rest is drained by stop()
                        batch.giveBack(name + " stopped before it was committed");
                        throw e;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Completes the batches every stage committed: the route goes on (dead letters), then the acks go out. */
    private Runnable complete(BlockingQueue<Batch> in) {
        return () -> {
            try {
                while (true) {
                    Batch batch = in.take();
                    if (batch == END) {
                        return;
                    }
                    try {
                        batch.callback().done(false);
                    } catch (RuntimeException e) {
                        LOG.warn("{}: completing a committed batch failed: {}", name, e.getMessage());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }
}
