package io.gridwire.sites;

import io.gridwire.sink.KafkaClients;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** Health of the EMS Kafka bridge: Kafka reachable (describe cluster) and the circuit breaker's state. */
public class EmsHealth extends AbstractHealthCheck {

    private final KafkaClients kafka;
    private final CircuitBreaker breaker;
    private volatile Admin admin;

    public EmsHealth(KafkaClients kafka, CircuitBreaker breaker) {
        super("gridwire", "kafka-ems-bridge");
        this.kafka = kafka;
        this.breaker = breaker;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("circuit_breaker", breaker.getState().name());
        builder.detail("bootstrap_servers", kafka.bootstrap());
        try {
            int nodes = admin().describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get(3, TimeUnit.SECONDS).size();
            builder.detail("kafka_nodes", nodes);
        } catch (Exception e) {
            builder.detail("kafka", "unreachable").message("Kafka unreachable: " + e.getMessage()).down();
            return;
        }
        if (breaker.getState() == CircuitBreaker.State.OPEN || breaker.getState() == CircuitBreaker.State.FORCED_OPEN) {
            builder.message("circuit breaker open: Kafka sends are failing").down();
            return;
        }
        builder.up();
    }

    private Admin admin() {
        if (admin == null) {
            synchronized (this) {
                if (admin == null) {
                    admin = kafka.admin(2000, 3000);
                }
            }
        }
        return admin;
    }
}
