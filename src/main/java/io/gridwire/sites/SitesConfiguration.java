package io.gridwire.sites;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gridwire.message.SinkFailures;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.platform.Platform;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.health.HealthCheckRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring of the EMS sites family (seed 003, sites.camel.yaml): the bridge from {@code sites.topics} to the telemetry
 * and status Kafka topics (with seed 003's retention) behind a circuit breaker, the analytics consumer, the status
 * stream (Server-Sent Events), commands back to the devices and the REST API under /api/v1/ems.
 */
public class SitesConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(SitesConfiguration.class);

    @PropertyInject("sites.unknownDevices")
    private String unknownDevices;
    @PropertyInject("sites.kafka.telemetryTopic")
    private String telemetryTopic;
    @PropertyInject("sites.kafka.statusTopic")
    private String statusTopic;
    @PropertyInject("sites.kafka.telemetryRetentionMs")
    private long telemetryRetentionMs;
    @PropertyInject("sites.kafka.statusRetentionMs")
    private long statusRetentionMs;
    @PropertyInject("sites.breaker.failureRateThreshold")
    private int breakerFailureRate;
    @PropertyInject("sites.breaker.slidingWindowSize")
    private int breakerWindow;
    @PropertyInject("sites.breaker.minimumNumberOfCalls")
    private int breakerMinimumCalls;
    @PropertyInject("sites.breaker.waitDurationInOpenStateMs")
    private long breakerOpenMs;
    @PropertyInject("sites.deviceCacheMs")
    private long deviceCacheMs;
    @PropertyInject("sites.commandTopic")
    private String commandTopic;
    @PropertyInject("sites.stream.path")
    private String streamPath;
    @PropertyInject("http.port")
    private int httpPort;

    @Override
    public void configure(CamelContext context) throws Exception {
        if (!unknownDevices.equals("auto-register") && !unknownDevices.equals("dead-letter")) {
            throw new IllegalArgumentException("sites.unknownDevices must be auto-register or dead-letter, got " + unknownDevices);
        }
        Platform platform = Platform.of(context);
        for (String replaced : List.of("sites.kafka.partitions", "sites.kafka.replicationFactor")) {
            if (context.getPropertiesComponent().resolveProperty(replaced).filter(v -> !v.isBlank()).isPresent()) {
                LOG.warn("{} is no longer read: kafka.topics.partitions and kafka.topics.replicationFactor apply to every topic "
                         + "gridwire creates", replaced);
            }
        }
        platform.kafkaTopics().topic(telemetryTopic, telemetryRetentionMs).topic(telemetryTopic + "-dlt", telemetryRetentionMs)
                .topic(statusTopic, statusRetentionMs).topic(statusTopic + "-dlt", statusRetentionMs);
        var registry = context.getRegistry();
        CircuitBreaker breaker = breaker();
        registry.bind("emsKafkaBreaker", breaker);
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new EmsHealth(platform.kafkaClients(), breaker));
        }
        EmsDevices devices = new EmsDevices(platform.dataSource(), unknownDevices.equals("auto-register"), deviceCacheMs);
        registry.bind("emsDevices", devices);
        MqttSender commands = platform.sender("-ems-commands", "EMS commands");
        registry.bind("emsCommandSender", commands);
        registry.bind("emsParser", new EmsParser(platform.payloads()));
        registry.bind("emsStatusStore", new EmsStatusStore(platform.dataSource(), devices));
        registry.bind("emsOutbox", new EmsOutbox(platform.dataSource(), telemetryTopic, statusTopic));
        registry.bind("emsKafkaFallback", new EmsKafkaFallback(platform.untilAvailable(), breaker, platform.meters()));
        registry.bind("emsCommands", new EmsCommands(platform.dataSource(), devices, commands, commandTopic));
        registry.bind("emsAnalytics", new EmsAnalytics(platform.dataSource(), platform.untilAvailable(), platform.deadLetters()));
        platform.sinkPipeline("sitesPipeline", "sites", "direct:sites-store,direct:sites-publish");
        platform.ingestClient("sitesMqttClient", "-sites", "mqtt-sites", "EMS sites", "sites.topics");
        // each instance streams every status event: its own consumer group
        context.getPropertiesComponent().addOverrideProperty("sites.stream.groupId", "gridwire-status-stream-" + UUID.randomUUID());
        DeviceStatusStream stream = new DeviceStatusStream(context, streamPath, httpPort);
        registry.bind("deviceStatusStream", stream);
        context.getManagementStrategy().addEventNotifier(stream);
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/api/v1/ems/devices");
    }

    /** Opens after sites.breaker.* failures of Kafka (not a record Kafka refuses), half-opens after the wait. */
    private CircuitBreaker breaker() {
        CircuitBreaker breaker = CircuitBreaker.of("ems-kafka", CircuitBreakerConfig.custom()
                .failureRateThreshold(breakerFailureRate)
                .slidingWindowSize(breakerWindow)
                .minimumNumberOfCalls(breakerMinimumCalls)
                .waitDurationInOpenState(Duration.ofMillis(breakerOpenMs))
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // a record Kafka refuses (too large) says nothing about Kafka being down
                .recordException(SinkFailures::isTransient)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> LOG.warn("Kafka circuit breaker (EMS bridge): {}", e.getStateTransition()));
        return breaker;
    }
}
