package io.gridwire.platform;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.gridwire.api.ApiAuth;
import io.gridwire.api.ApiErrors;
import io.gridwire.api.ApiReplies;
import io.gridwire.mqtt.MqttIngestComponent;
import io.gridwire.mqtt.TopicHeaders;
import io.gridwire.sink.SinkPipeline;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.health.HealthCheckRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What gridwire runs besides the families: the mqtt-ingest: component, the sink and ingest health checks, REST
 * authentication, replies and error answers, the dead-letter API, route meters, the Hawtio console and the start-up block.
 * Found by the package scan like every family's configuration.
 */
public class PlatformConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformConfiguration.class);

    @PropertyInject("api.token")
    private String apiToken;
    @PropertyInject("hawtio.enabled")
    private boolean hawtioEnabled;
    @PropertyInject(value = "hawtio.war", defaultValue = " ")
    private String hawtioWar;
    @PropertyInject("hawtio.host")
    private String hawtioHost;
    @PropertyInject("hawtio.port")
    private int hawtioPort;
    @PropertyInject("hawtio.authentication")
    private boolean hawtioAuthentication;
    @PropertyInject(value = "hawtio.user", defaultValue = " ")
    private String hawtioUser;
    @PropertyInject(value = "hawtio.password", defaultValue = " ")
    private String hawtioPassword;

    @Override
    public void configure(CamelContext context) throws Exception {
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        registry.bind("mqtt-ingest", new MqttIngestComponent());
        registry.bind("topicHeaders", new TopicHeaders());
        // REST operations get the rest-api configuration and group "api"; the other routes their file's group
        ((org.apache.camel.model.ModelCamelContext) context).addModelLifecycleStrategy(new RouteGroups());

        ApiAuth apiAuth = new ApiAuth(apiToken);
        registry.bind("apiAuth", apiAuth);
        ApiErrors apiErrors = new ApiErrors();
        registry.bind("apiErrors", apiErrors);
        registry.bind("apiReplies", new ApiReplies(apiErrors));
        registry.bind("deadLetterApi", new DeadLetterApi(platform.dataSource(), platform.sender("-replay", "replaying dead letters"), apiAuth));

        registry.bind("kafkaFirstApi", new KafkaFirstApi(platform.ingestBuffer()));
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/api/v1/dead-letters");
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/api/v1/kafka-first");
        healthChecks(context, platform);

        HawtioConsole hawtio = hawtioConsole();
        if (hawtio != null) {
            registry.bind("hawtioConsole", hawtio);
            platform.addService(hawtio);
        }
        var management = context.getManagementStrategy();
        management.addEventNotifier(new StartupBanner(context, platform,
                () -> hawtio == null ? "off (see the log above for why)" : hawtio.state()));
        management.addEventNotifier(new RouteStartFailures());
        management.addEventNotifier(new RouteMeters(context, platform.meters()));
        context.getCamelContextExtension().addInterceptStrategy(new KafkaSendTiming(platform.meters()));
    }

    /**
     * /observe/health: PostgreSQL, Kafka (with the topics gridwire writes), the InfluxDB API, and {@code ingest}: DOWN
     * while a family has been held back longer than ingest.heldBackHealthMs, naming the family, stage and the sink's
     * error. Each family registers its own MQTT connections' checks.
     */
    private static void healthChecks(CamelContext context, Platform platform) {
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health == null) {
            return;
        }
        SinkChecks sinks = platform.sinks();
        health.register(sinks.postgresql);
        health.register(sinks.kafka);
        health.register(sinks.influxdb);
        long heldBackMs = platform.heldBackHealthMs();
        health.register(new DependencyCheck("ingest", details -> {
            List<SinkPipeline> pipelines = new ArrayList<>(context.getRegistry().findByType(SinkPipeline.class));
            pipelines.sort(Comparator.comparing(SinkPipeline::name));
            List<String> held = new ArrayList<>();
            for (SinkPipeline pl : pipelines) {
                SinkPipeline.Waiting w = pl.heldBack();
                details.put(pl.name(), w == null ? "flowing" : w.describe());
                if (w != null && w.waitedMs() > heldBackMs) {
                    held.add(pl.name() + " " + w.describe());
                }
            }
            return held.isEmpty() ? null : "family held back longer than " + heldBackMs / 1000 + " s: " + String.join("; ", held);
        }));
    }

    private HawtioConsole hawtioConsole() throws Exception {
        if (!hawtioEnabled) {
            LOG.info("Hawtio console off (hawtio.enabled=false)");
            return null;
        }
        Path warPath = hawtioWar.isBlank()
                ? Path.of(PlatformConfiguration.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                        .getParent().resolve("hawtio").resolve("hawtio.war")
                : Path.of(hawtioWar.trim());
        String password = hawtioPassword.trim();
        if (hawtioAuthentication && password.isEmpty()) {
            LOG.error("Hawtio console off: hawtio.authentication is on and no password is set (set HAWTIO_PASSWORD, "
                      + "and HAWTIO_USER if not '{}')", hawtioUser.trim());
            return null;
        }
        return new HawtioConsole(new HawtioConsole.Settings(hawtioHost, hawtioPort, warPath, hawtioAuthentication,
                hawtioUser.trim(), password));
    }

    /** Says why a supervised route could not start (the route controller retries it, but logs no reason). */
    static final class RouteStartFailures extends LifecycleNotifier {
        @Override
        public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
            return event instanceof org.apache.camel.spi.CamelEvent.RouteRestartingFailureEvent;
        }

        @Override
        public void notify(org.apache.camel.spi.CamelEvent event) {
            var e = (org.apache.camel.spi.CamelEvent.RouteRestartingFailureEvent) event;
            Throwable cause = e.getCause();
            LOG.warn("Route {} could not start (attempt {}{}): {}", e.getRoute().getRouteId(), e.getAttempt(),
                    e.isExhausted() ? ", no more attempts" : ", will retry", cause == null ? "unknown reason" : cause.getMessage());
        }
    }
}
