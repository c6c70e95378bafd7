package io.gridwire.sites;

/**
 * Kafka refused a record of a batch of several (too large, invalid): not retried as a whole; the sink pipeline sends
 * the batch again in halves until the refused record is alone, which then goes to its dead-letter topic
 * ({@link EmsKafkaFallback#kafkaFailed}).
 */
public class KafkaRefusedException extends Exception {

    public KafkaRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
