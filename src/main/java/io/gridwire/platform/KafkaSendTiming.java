package io.gridwire.platform;

import io.gridwire.metrics.Meters;

import java.util.List;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.spi.InterceptStrategy;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

/**
 * Records every send to a Kafka endpoint of a route ({@code to: kafka:...}) as a sink write
 * (gridwire_sink_*{sink="kafka:{topic}"}): records per send (the body's list size), latency and failures.
 */
public class KafkaSendTiming implements InterceptStrategy {

    private final Meters meters;

    public KafkaSendTiming(Meters meters) {
        this.meters = meters;
    }

    @Override
    public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target, Processor nextTarget) {
        if (!(definition instanceof org.apache.camel.model.ToDefinition to) || !to.getUri().startsWith("kafka:")) {
            return target;
        }
        String sink = "kafka:" + context.resolvePropertyPlaceholders(to.getUri().substring("kafka:".length()).replaceFirst("\\?.*", ""));
        AsyncProcessor send = AsyncProcessorConverterHelper.convert(target);
        return new DelegateAsyncProcessor(send) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                Object body = exchange.getMessage().getBody();
                int size = body instanceof List<?> list ? list.size() : 1;
                long start = System.nanoTime();
                return super.process(exchange, done -> {
                    meters.sinkWrite(sink, size, System.nanoTime() - start, exchange.getException());
                    callback.done(done);
                });
            }
        };
    }
}
