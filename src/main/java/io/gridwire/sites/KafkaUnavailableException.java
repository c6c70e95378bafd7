package io.gridwire.sites;

/**
 * Kafka cannot take the record now (broker unreachable, or the circuit breaker is open): the message is not
 * acked and the route tries again after a backoff (routeConfiguration kafka-bridge).
 */
public class KafkaUnavailableException extends Exception {

    public KafkaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
