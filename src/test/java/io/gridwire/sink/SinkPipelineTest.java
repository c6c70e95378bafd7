package io.gridwire.sink;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.gridwire.mqtt.IngestMessage;
import io.gridwire.mqtt.IngestMessages;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sink pipeline against a {@code direct:} stage that fails like a sink does (no services): a message that fails
 * every time while the sink answers is isolated and rejected alone; while the sink does not answer, the batch waits
 * and says so.
 */
class SinkPipelineTest {

    private CamelContext camel;
    /** Bodies the stage committed, in order. */
    private final List<Object> committed = new ArrayList<>();
    private final AtomicBoolean sinkDown = new AtomicBoolean();
    /** The sink answers its probe but takes no writes (a read-only standby, a full disk). */
    private final AtomicBoolean takesNoWrites = new AtomicBoolean();

    @BeforeEach
    void start() throws Exception {
        camel = new DefaultCamelContext();
        // a lambda, not a RouteBuilder subclass: gridwire's own start-up scans io.gridwire for those
        RouteBuilder.addRoutes(camel, rb -> rb.from("direct:stage").errorHandler(rb.noErrorHandler()).process(e -> {
            List<?> bodies = e.getMessage().getBody(List.class);
            if (sinkDown.get()) {
                throw new IOException("connection refused");
            }
            if (takesNoWrites.get()) {
                throw new IOException("cannot execute INSERT in a read-only transaction");
            }
            if (bodies.contains("poison")) {
                // transient by its kind (an I/O failure, like the TSDB's HTTP 500), but it never heals
                throw new IOException("HTTP 500: cannot write field 'Timestamp'");
            }
            synchronized (committed) {
                committed.addAll(bodies);
            }
        }));
        camel.start();
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    private SinkPipeline pipeline(boolean answering) throws Exception {
        SinkPipeline p = new SinkPipeline("test", "direct:stage", 2, 1, 4);
        p.setCamelContext(camel);
        p.setSinkAnswering(failure -> answering && !sinkDown.get(), 3);
        p.start();
        return p;
    }

    private static List<IngestMessage> batch(String... bodies) {
        List<IngestMessage> b = new ArrayList<>();
        for (String s : bodies) {
            b.add(IngestMessages.parsed("t/" + s, s));
        }
        return b;
    }

    /** Runs one batch through the pipeline; true once it completed within the timeout. */
    private boolean write(SinkPipeline p, List<IngestMessage> messages, long timeoutMs) throws InterruptedException {
        Exchange e = new DefaultExchange(camel);
        e.getMessage().setBody(messages);
        CountDownLatch done = new CountDownLatch(1);
        p.process(e, doneSync -> done.countDown());
        return done.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Test
    void aMessageThatFailsEveryTimeWhileTheSinkAnswersIsRejectedAloneAndItsBatchMatesLand() throws Exception {
        SinkPipeline p = pipeline(true);
        List<IngestMessage> b = batch("a", "b", "poison", "c", "d", "e", "f");
        assertTrue(write(p, b, 10_000), "the batch completes");
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), committed, "batch-mates committed, in order");
        IngestMessage poison = b.get(2);
        assertTrue(poison.rejected());
        assertTrue(poison.rejection().getMessage().contains("HTTP 500"), poison.rejection().getMessage());
        assertTrue(poison.rejection().getMessage().contains("the sink answers"), poison.rejection().getMessage());
        assertNull(p.heldBack(), "nothing waits any more");
        p.stop();
    }

    @Test
    void aSinkThatAnswersButTakesNoWritesRejectsNothing() throws Exception {
        takesNoWrites.set(true);
        SinkPipeline p = pipeline(true);
        List<IngestMessage> b = batch("a", "b", "c", "d");
        Exchange e = new DefaultExchange(camel);
        e.getMessage().setBody(b);
        CountDownLatch done = new CountDownLatch(1);
        p.process(e, doneSync -> done.countDown());
        // several isolation passes (3 attempts in a row each) find nothing that fails alone: all of it waits
        assertFalse(done.await(500, TimeUnit.MILLISECONDS), "the batch waits");
        assertTrue(b.stream().noneMatch(IngestMessage::rejected), "nothing rejected without proof the sink takes writes");
        takesNoWrites.set(false);
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("a", "b", "c", "d"), committed);
        p.stop();
    }

    @Test
    void aMessageThatFailsFirstInItsBatchIsStillFound() throws Exception {
        SinkPipeline p = pipeline(true);
        List<IngestMessage> b = batch("poison", "a", "b");
        assertTrue(write(p, b, 10_000));
        assertEquals(List.of("a", "b"), committed);
        assertTrue(b.get(0).rejected());
        p.stop();
    }

    @Test
    void whileTheSinkDoesNotAnswerNothingIsRejectedAndTheBatchWaitsAndSaysWhy() throws Exception {
        sinkDown.set(true);
        SinkPipeline p = pipeline(true);
        List<IngestMessage> b = batch("a", "b", "c");
        Exchange e = new DefaultExchange(camel);
        e.getMessage().setBody(b);
        CountDownLatch done = new CountDownLatch(1);
        p.process(e, doneSync -> done.countDown());
        assertFalse(done.await(300, TimeUnit.MILLISECONDS), "the batch waits");
        SinkPipeline.Waiting w = p.heldBack();
        assertNotNull(w);
        assertEquals("direct:stage", w.stage());
        assertTrue(w.reason().contains("connection refused"), w.reason());
        assertNull(p.heldBackLongerThan(60_000));
        assertNotNull(p.heldBackLongerThan(0));
        sinkDown.set(false);
        assertTrue(done.await(5, TimeUnit.SECONDS), "committed once the sink is back");
        assertEquals(List.of("a", "b", "c"), committed);
        assertTrue(b.stream().noneMatch(IngestMessage::rejected));
        assertNull(p.heldBack());
        p.stop();
    }
}
