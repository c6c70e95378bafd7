package io.gridwire.sites;

/**
 * Kafka cannot take the records now (broker unreachable, or the circuit breaker is open): an IOException, so the
 * sink pipeline keeps the batch unacked and tries again after a backoff ({@link io.gridwire.message.SinkFailures}).
 */
public class KafkaUnavailableException extends java.io.IOException {

    public KafkaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
