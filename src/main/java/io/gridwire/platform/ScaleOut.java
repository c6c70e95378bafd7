package io.gridwire.platform;

import java.util.ArrayList;
import java.util.List;

import io.gridwire.cluster.Leadership;
import io.gridwire.cluster.PostgresClusterService;
import io.gridwire.metrics.Meters;
import io.gridwire.mqtt.IngestBuffer;
import io.gridwire.sink.KafkaIngestBuffer;
import io.gridwire.sink.KafkaTopics;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.service.ServiceHelper;

/**
 * What running several instances takes (issue 17): the leader election for the singleton routes
 * ({@code cluster.service}) and, with {@code gridwire.mode=kafka-first}, the buffer every ingest route stores its raw
 * messages in; with their health checks ({@code cluster}, {@code kafka-first}) and start-up lines.
 */
final class ScaleOut {

    private final CamelContext context;
    private final PlatformSettings settings;
    private final String instanceId;
    private final CamelClusterService clusterService;
    private final Leadership leadership;
    private final KafkaIngestBuffer ingestBuffer;

    /**
     * Builds them; nothing connects.
     *
     * @throws IllegalArgumentException for a cluster.service or gridwire.mode gridwire does not know
     */
    ScaleOut(CamelContext context, PlatformSettings s, String instanceId, KafkaTopics topics, Meters meters) {
        this.context = context;
        this.settings = s;
        this.instanceId = instanceId;
        this.clusterService = Resources.clusterService(s, instanceId);
        // its views need the context and the service's configuration when they are made (the Kubernetes one refuses a
        // null context and builds its lock configuration in init); initialising connects nothing
        clusterService.setCamelContext(context);
        ServiceHelper.initService(clusterService);
        this.leadership = new Leadership(clusterService);
        this.ingestBuffer = switch (s.mode.trim()) {
            case "direct" -> null;
            case "kafka-first" -> new KafkaIngestBuffer(new KafkaIngestBuffer.Settings(topics.kafka(), s.kafkaFirstTopicPrefix,
                    s.kafkaFirstGroupPrefix, s.kafkaFirstRetentionMs, s.kafkaFirstSendTimeoutMs, s.maxPayloadBytes), topics, meters);
            default -> throw new IllegalArgumentException("gridwire.mode (GRIDWIRE_MODE) '" + s.mode + "': direct or kafka-first");
        };
    }

    Leadership leadership() {
        return leadership;
    }

    /** kafka-first mode's buffer; null in direct mode. */
    KafkaIngestBuffer ingestBuffer() {
        return ingestBuffer;
    }

    /** Binds the buffer, adds the cluster service (resigning when the context stops), health checks, start-up lines. */
    void bind(Platform platform) {
        if (ingestBuffer != null) {
            // every mqtt-ingest: route stores its batches here and routes what its sink workers read back
            context.getRegistry().bind(IngestBuffer.BEAN, ingestBuffer);
            platform.closeOnStop(ingestBuffer);
        }
        platform.bannerLine("Mode", () -> ingestBuffer == null ? "direct (each ingest route writes its sinks, then acks MQTT)"
                : "kafka-first (raw messages to Kafka topics " + settings.kafkaFirstTopicPrefix + "<route>, acked once Kafka has them; "
                  + "sink workers in consumer groups " + settings.kafkaFirstGroupPrefix + "<route>)");
        // who runs the singleton routes (master:gridwire:...): started with the context, before the routes; a stopping
        // instance gives up leadership first, so a follower takes the singleton work over while this one drains
        platform.addService(clusterService);
        context.getManagementStrategy().addEventNotifier(new LifecycleNotifier() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.CamelContextStoppingEvent;
            }

            @Override
            public void notify(CamelEvent event) {
                if (clusterService instanceof PostgresClusterService p) {
                    p.resign();
                }
            }
        });
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new DependencyCheck("cluster", details -> {
                details.put("instance", instanceId);
                details.put("leader", String.valueOf(leadership.leaderId()));
                details.put("leading", leadership.isLeader());
                details.put("members", String.join(",", leadership.members()));
                details.put("election", leadership.mechanism());
                details.put("shared_group", String.valueOf(platform.sharedGroup()));
                return leadership.problem();
            }));
            if (ingestBuffer != null) {
                health.register(new DependencyCheck("kafka-first", details -> {
                    List<String> dead = new ArrayList<>();
                    for (var w : ingestBuffer.status()) {
                        details.put(w.route(), "lag " + w.lag() + ", " + Math.round(w.ratePerSecond()) + " records/s, "
                                + w.committed() + " committed" + (w.lastError() == null ? "" : ", last error: " + w.lastError())
                                + (w.replay() == null ? "" : ", replay " + w.replay()));
                        if (!w.alive()) {
                            dead.add(w.route());
                        }
                    }
                    // the backlog is Kafka's by design (lag is no failure); a worker that no longer runs is
                    return dead.isEmpty() ? null : "kafka-first sink worker stopped for " + dead;
                }));
            }
        }
        platform.bannerLine("Cluster", () -> "instance " + instanceId + (leadership.isLeader() ? ", leader" : ", follower of "
                + leadership.leaderId()) + " (" + leadership.mechanism() + "; members " + leadership.members() + "), "
                + (platform.sharedGroup() == null ? "MQTT subscriptions not shared" : "MQTT shared group " + platform.sharedGroup()));
    }
}
