package io.gridwire.sites;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.support.DefaultMessage;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The branches of the packaged {@code sites-publish} route (sites.camel.yaml) with Kafka replaced by a mock endpoint
 * (AdviceWith): a batch without records sends nothing; records go to Kafka and only then are the status events marked
 * sent; when Kafka fails the breaker's fallback decides and nothing is marked sent.
 */
class SitesPublishRouteTest {

    private CamelContext context;
    private final Outbox outbox = new Outbox();
    private final Fallback fallback = new Fallback();

    /** Stands in for EmsOutbox: answers the records it was given, counts markSent. */
    public static class Outbox {
        List<Message> next = List.of();
        final AtomicInteger marked = new AtomicInteger();

        public List<Message> records(List<Object> batch, Exchange exchange) {
            return next;
        }

        public void markSent(Exchange exchange) {
            marked.incrementAndGet();
        }
    }

    /** Stands in for EmsKafkaFallback: counts calls and, as the real one for an unavailable Kafka, fails the batch. */
    public static class Fallback {
        final AtomicInteger calls = new AtomicInteger();

        public void kafkaFailed(Exchange exchange) {
            calls.incrementAndGet();
            throw new IllegalStateException("Kafka unavailable: the batch waits");
        }
    }

    @BeforeEach
    void start() throws Exception {
        context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation("classpath:application.properties");
        context.getRegistry().bind("emsOutbox", outbox);
        context.getRegistry().bind("emsKafkaFallback", fallback);
        context.getRegistry().bind("emsKafkaBreaker", CircuitBreaker.ofDefaults("test"));
        ((ModelCamelContext) context).setRouteFilterPattern("sites-publish", null);
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context,
                "classpath:routes/sites.camel.yaml"));
        AdviceWith.adviceWith(context, "sites-publish", a -> a.weaveById("to-kafka").replace().to("mock:kafka"));
        context.start();
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private List<Message> records(int n) {
        List<Message> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new DefaultMessage(context));
        }
        return list;
    }

    @Test
    void aBatchWithoutRecordsSendsNothingAndMarksNothing() throws Exception {
        MockEndpoint kafka = context.getEndpoint("mock:kafka", MockEndpoint.class);
        kafka.expectedMessageCount(0);
        context.createProducerTemplate().sendBody("direct:sites-publish", List.of());
        kafka.assertIsSatisfied();
        assertEquals(0, outbox.marked.get());
    }

    @Test
    void recordsGoToKafkaThenTheStatusEventsAreMarkedSent() throws Exception {
        outbox.next = records(3);
        MockEndpoint kafka = context.getEndpoint("mock:kafka", MockEndpoint.class);
        kafka.expectedMessageCount(1);
        context.createProducerTemplate().sendBody("direct:sites-publish", List.of());
        kafka.assertIsSatisfied();
        assertEquals(3, kafka.getExchanges().get(0).getIn().getBody(List.class).size(), "the batch's records in one send");
        assertEquals(1, outbox.marked.get());
    }

    @Test
    void whenKafkaFailsTheFallbackDecidesAndNothingIsMarkedSent() {
        outbox.next = records(2);
        context.getEndpoint("mock:kafka", MockEndpoint.class).whenAnyExchangeReceived(e -> {
            throw new org.apache.kafka.common.errors.TimeoutException("no answer");
        });
        assertThrows(Exception.class, () -> context.createProducerTemplate().requestBody("direct:sites-publish", List.of()));
        assertEquals(1, fallback.calls.get());
        assertEquals(0, outbox.marked.get());
    }
}
