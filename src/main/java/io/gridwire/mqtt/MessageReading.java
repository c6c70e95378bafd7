package io.gridwire.mqtt;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import io.gridwire.message.InvalidMessageException;
import io.gridwire.message.PayloadParser;
import io.gridwire.message.PayloadTimestamps;

/** How an ingest route reads one message: its topic's named levels, then the family's {@link PayloadParser}. */
final class MessageReading {

    private final TopicPattern pattern;
    private final PayloadParser parser;

    MessageReading(TopicPattern pattern, PayloadParser parser) {
        this.pattern = pattern;
        this.parser = parser;
    }

    /**
     * Runs the family's parser over one message (topic levels by name, the receipt time a payload without timestamp
     * takes); a refusal, or a parser bug, marks it rejected with the reason.
     *
     * @param original the first receipt of the message (a copy's, or a stored message's), null for now
     * @return the receipt time the payload took (it had no timestamp of its own), else null
     */
    Instant parse(IngestMessage m, Instant original) {
        PayloadTimestamps.Receipt receipt = PayloadTimestamps.receivedAt(original);
        try {
            Map<String, Object> levels = new HashMap<>(4);
            pattern.read(m.topic(), levels);
            m.body(parser.parse(m.topic(), m.payload(), levels));
            return receipt.used() ? receipt.at() : null;
        } catch (InvalidMessageException e) {
            m.reject(e);
        } catch (RuntimeException | StackOverflowError e) {
            // a parser bug must not stop the route: the message becomes a dead letter that says so
            m.reject(new InvalidMessageException("could not be read: " + e));
        } finally {
            PayloadTimestamps.done();
        }
        return null;
    }

    /** The key a stored message goes under: the topic's first named level (the device id), else the topic. */
    String key(String topic) {
        Map<String, Object> levels = new java.util.LinkedHashMap<>(4);
        try {
            pattern.read(topic, levels);
        } catch (RuntimeException e) {
            return topic;
        }
        return levels.values().stream().filter(java.util.Objects::nonNull).map(String::valueOf).findFirst().orElse(topic);
    }
}
