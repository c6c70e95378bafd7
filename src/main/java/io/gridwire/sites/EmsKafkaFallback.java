package io.gridwire.sites;

import java.util.List;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.gridwire.message.RedeliverLaterException;
import io.gridwire.message.SinkFailures;
import io.gridwire.metrics.Meters;
import io.gridwire.sink.KafkaRecords;
import io.gridwire.sink.OutboxRecord;
import io.gridwire.sink.UntilAvailable;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker's fallback of the sites' Kafka send (bean {@code emsKafkaFallback}): tells Kafka unavailable
 * (wait and retry) from a record Kafka refuses (dead letter topic {topic}-dlt after retries).
 */
public class EmsKafkaFallback {

    private static final Logger LOG = LoggerFactory.getLogger(EmsKafkaFallback.class);

    private final UntilAvailable retry;
    private final CircuitBreaker breaker;
    private final Meters meters;
    private volatile ProducerTemplate template;

    /**
     * @param retry            waits for Kafka while a dead letter topic cannot be written
     * @param breaker          the Kafka circuit breaker (its state goes into the failure)
     * @param meters           times the {topic}-dlt sends (sink kafka:{topic}-dlt)
     */
    public EmsKafkaFallback(UntilAvailable retry, CircuitBreaker breaker, Meters meters) {
        this.retry = retry;
        this.breaker = breaker;
        this.meters = meters;
    }

    /**
     * Called when the Kafka send of a batch failed or the breaker is open. Kafka unavailable: KafkaUnavailableException
     * (the pipeline waits and tries again; nothing is acked). A batch of several records refused: the refusal is
     * thrown again, so the pipeline sends the batch in halves. A single record refused: 3 more attempts with
     * exponential backoff (200, 400, 800 ms), then it goes to {topic}-dlt with the reason in its headers, and counts
     * as sent.
     *
     * @param exchange the publish stage's exchange, with the records in {@value OutboxRecord#RECORDS}
     * @throws KafkaUnavailableException Kafka unavailable or the breaker open
     * @throws KafkaRefusedException     Kafka refused a record of a batch of several
     * @throws RedeliverLaterException   gridwire is stopping
     */
    @SuppressWarnings("unchecked")
    public void kafkaFailed(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (exchange.getContext().isStopping()) {
            // the producer is closing with the rest of gridwire: nothing to conclude about the record
            throw new RedeliverLaterException("Kafka send interrupted, gridwire is stopping: "
                                              + (cause == null ? "no answer" : SinkFailures.describe(cause)));
        }
        if (cause == null || cause instanceof CallNotPermittedException || SinkFailures.isTransient(cause)) {
            throw new KafkaUnavailableException("Kafka unavailable (circuit breaker " + breaker.getState() + "): "
                                                + (cause == null ? "no answer" : SinkFailures.describe(cause)), cause);
        }
        List<OutboxRecord> records = exchange.getProperty(OutboxRecord.RECORDS, List.class);
        if (records.size() != 1) {
            throw new KafkaRefusedException("Kafka refused a record of a batch of " + records.size() + ": "
                                            + SinkFailures.describe(cause), cause);
        }
        OutboxRecord record = records.get(0);
        String uri = "kafka:" + record.topic() + "?batchWithIndividualHeaders=true&"
                     + exchange.getContext().resolvePropertyPlaceholders("{{sites.kafka.producerOptions}}");
        long delay = 200;
        for (int attempt = 1; attempt <= 3; attempt++) {
            Thread.sleep(delay);
            delay *= 2;
            Exchange result = template(exchange).send(uri, e -> e.getMessage().setBody(OutboxRecord.messages(e.getContext(), records)));
            if (result.getException() == null) {
                LOG.info("Kafka {}: record {} sent on retry {}", record.topic(), record.messageId(), attempt);
                return;
            }
            cause = result.getException();
            if (exchange.getContext().isStopping()) {
                throw new RedeliverLaterException("Kafka send interrupted, gridwire is stopping: " + SinkFailures.describe(cause));
            }
            if (SinkFailures.isTransient(cause)) {
                throw new KafkaUnavailableException("Kafka unavailable: " + SinkFailures.describe(cause), cause);
            }
        }
        String reason = SinkFailures.describe(cause);
        String exceptionType = cause.getClass().getName();
        String dlt = record.topic() + "-dlt";
        // through camel-kafka like every other record (the component's idempotent producer, acks=all), and waited for;
        // not with the bridge's producer options: its maxRequestSize refused the record in the first place
        String dltUri = "kafka:" + dlt;
        retry.run(exchange.getContext(), "Kafka " + dlt, () -> meters.sinkWrite("kafka:" + dlt, 1, () -> {
            Exchange sent = template(exchange).send(dltUri, e -> {
                var m = e.getMessage();
                m.setBody(record.value());
                m.setHeader(KafkaConstants.KEY, record.key());
                m.setHeader(KafkaRecords.MESSAGE_ID, record.messageId());
                m.setHeader("gridwire_failure_reason", reason);
                m.setHeader("gridwire_failure_exception", exceptionType);
                m.setHeader("gridwire_original_topic", record.topic());
            });
            if (sent.getException() != null) {
                throw sent.getException();
            }
            return null;
        }));
        LOG.warn("Kafka {} refused record {} 4 times ({}); sent to {}", record.topic(), record.messageId(), reason, dlt);
    }

    private ProducerTemplate template(Exchange exchange) {
        if (template == null) {
            synchronized (this) {
                if (template == null) {
                    template = exchange.getContext().createProducerTemplate();
                }
            }
        }
        return template;
    }
}
