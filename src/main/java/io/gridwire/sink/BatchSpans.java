package io.gridwire.sink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.gridwire.mqtt.IngestMessage;
import io.gridwire.mqtt.TopicPattern;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;

/**
 * What the trace of an ingest batch says about it (tracing on: see the README's "Traces"). The span is the ingest
 * route's own (camel-opentelemetry2 makes it current while the route runs); these attributes describe the batch —
 * family, size, topics, devices — and, once every sink committed it or it was given back, its outcome. The stage
 * exchanges carry the batch's W3C trace headers, so each sink stage's spans join the batch's trace.
 */
final class BatchSpans {

    /** Trace context headers (W3C) copied from a batch exchange to its stage exchanges. */
    static final List<String> TRACE_HEADERS = List.of("traceparent", "tracestate", "baggage");
    /** At most this many distinct topics and device ids are named on a span. */
    private static final int NAMED = 20;

    private static final AttributeKey<String> FAMILY = AttributeKey.stringKey("gridwire.family");
    private static final AttributeKey<Long> SIZE = AttributeKey.longKey("messaging.batch.message_count");
    private static final AttributeKey<String> TOPIC = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<List<String>> TOPICS = AttributeKey.stringArrayKey("gridwire.topics");
    private static final AttributeKey<List<String>> DEVICES = AttributeKey.stringArrayKey("gridwire.device_ids");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("gridwire.outcome");
    private static final AttributeKey<Long> DEAD_LETTERS = AttributeKey.longKey("gridwire.dead_letters");

    private BatchSpans() {
    }

    /**
     * Describes the batch on the current span when it records, and returns the callback that adds the outcome.
     *
     * @param family   the pipeline's name (e.g. energy-telemetry)
     * @param exchange the batch exchange
     * @param messages its messages
     * @param callback the route's callback
     * @return {@code callback} itself when no span records (tracing off), else one that first sets the outcome
     */
    static AsyncCallback describe(String family, Exchange exchange, List<IngestMessage> messages, AsyncCallback callback) {
        Span span = Span.current();
        if (!span.isRecording()) {
            return callback;
        }
        span.setAttribute(FAMILY, family);
        span.setAttribute(SIZE, (long) messages.size());
        Set<String> topics = new LinkedHashSet<>();
        Set<String> devices = new LinkedHashSet<>();
        TopicPattern pattern = exchange.getProperty(io.gridwire.mqtt.MqttIngestConsumer.TOPIC_PATTERN, TopicPattern.class);
        Map<String, Object> levels = new HashMap<>();
        for (IngestMessage m : messages) {
            if (topics.size() < NAMED) {
                topics.add(m.topic());
            }
            if (pattern != null && devices.size() < NAMED) {
                levels.clear();
                String device = pattern.read(m.topic(), levels) ? device(levels) : null;
                if (device != null) {
                    devices.add(device);
                }
            }
        }
        if (topics.size() == 1) {
            span.setAttribute(TOPIC, topics.iterator().next());
        }
        span.setAttribute(TOPICS, new ArrayList<>(topics));
        if (!devices.isEmpty()) {
            span.setAttribute(DEVICES, new ArrayList<>(devices));
        }
        return doneSync -> {
            try {
                long deadLetters = messages.stream().filter(IngestMessage::rejected).count();
                span.setAttribute(DEAD_LETTERS, deadLetters);
                Exception failure = exchange.getException();
                if (failure != null) {
                    span.setAttribute(OUTCOME, "not acked (sent again by the broker): " + failure.getMessage());
                    span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                } else {
                    span.setAttribute(OUTCOME, deadLetters == 0 ? "committed"
                            : deadLetters == messages.size() ? "dead letters" : "committed, " + deadLetters + " dead letters");
                }
            } finally {
                // the batch completes (and is acked) whatever tracing does
                callback.done(doneSync);
            }
        };
    }

    /** The level naming the device: one whose name says device or serial, else the first named level. */
    private static String device(Map<String, Object> levels) {
        Object first = null;
        for (var e : levels.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.contains("device") || name.contains("serial")) {
                return e.getValue() == null ? null : e.getValue().toString();
            }
            if (first == null) {
                first = e.getValue();
            }
        }
        return first == null ? null : first.toString();
    }

    /** The batch's trace headers to put on a stage exchange (empty when tracing is off). */
    static Map<String, Object> traceHeaders(Exchange batch) {
        Map<String, Object> out = null;
        for (String h : TRACE_HEADERS) {
            Object v = batch.getMessage().getHeader(h);
            if (v != null) {
                if (out == null) {
                    out = new HashMap<>(4);
                }
                out.put(h, v);
            }
        }
        return out == null ? Map.of() : out;
    }
}
