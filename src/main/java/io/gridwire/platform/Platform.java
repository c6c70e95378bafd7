package io.gridwire.platform;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

import javax.sql.DataSource;

import com.influxdb.client.InfluxDBClient;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadTimestamps;
import io.gridwire.metrics.Meters;
import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.MqttBroker;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.sink.DeadLetterStore;
import io.gridwire.sink.KafkaClients;
import io.gridwire.sink.KafkaTopics;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.sink.TsdbWriter;
import io.gridwire.sink.UntilAvailable;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.PluginHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every family shares, made once per Camel context: the PostgreSQL pool, the TSDB writer, the Kafka
 * topic list, dead letters, meters, the MQTT connection settings, and the delivery policy ({@code delivery.retry.*},
 * {@code ingest.*}). A family's configuration takes it with {@link #of} (in any order: the first call builds it) and
 * asks it for its MQTT clients and sink pipelines, which it then closes and drains on stop.
 *
 * <p>Nothing here connects while wiring (clients are made, not connected): migrations and Kafka topic creation run
 * when the context starts ({@link #onStart}), before any route; so do the start-up steps families add.
 */
public final class Platform {

    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);
    /** The registry name the platform is bound under. */
    public static final String BEAN = "gridwirePlatform";

    private final CamelContext context;
    private final PlatformSettings settings;
    private final DataSource dataSource;
    private final InfluxDBClient tsdb;
    private final MqttBroker broker;
    private final KafkaClients kafkaClients;
    private final TsdbWriter tsdbWriter;
    private final Meters meters;
    private final KafkaTopics kafkaTopics;
    private final DeadLetterStore deadLetters;
    private final JsonPayloads payloads;
    private final UntilAvailable untilAvailable;
    private final SinkChecks sinks;
    /** Closed on stop in reverse order, after the routes and pipelines: clients first, then the shared resources. */
    private final ClosingService closing;
    private final StartupSteps startSteps = new StartupSteps();
    private final String instanceId;
    /** The leader election and kafka-first mode's buffer. */
    private final ScaleOut scaleOut;
    private final List<BannerLine> banner = Collections.synchronizedList(new ArrayList<>());

    /** A line of the start-up block: its label (MQTT subscriptions are indented under "MQTT") and its text. */
    public record BannerLine(String section, Supplier<String> text) {
    }

    private Platform(CamelContext context, PlatformSettings s) {
        this.context = context;
        this.settings = s;
        this.instanceId = InstanceId.resolve(s.instanceId);
        PayloadTimestamps.configure(java.time.Instant.parse(s.timestampsEarliest), java.time.Duration.parse(s.timestampsMaxFutureSkew));
        this.meters = new Meters(context);
        this.dataSource = Resources.dataSource(s);
        TlsContexts.Material influxCa = Resources.influxCa(s);
        this.tsdb = Resources.tsdb(s, influxCa);
        this.broker = Resources.mqttBroker(s);
        this.tsdbWriter = new TsdbWriter(tsdb, s.influxBucket, s.influxOrg, meters);
        this.kafkaClients = Resources.kafkaClients(s, context);
        this.kafkaTopics = new KafkaTopics(kafkaClients, s.kafkaTopicsPartitions.isBlank() ? null : Integer.valueOf(s.kafkaTopicsPartitions.trim()),
                s.kafkaTopicsReplicationFactor.isBlank() ? null : Short.valueOf(s.kafkaTopicsReplicationFactor.trim()));
        this.deadLetters = new DeadLetterStore(dataSource, s.retryInitialDelayMs, s.retryMaxDelayMs, meters);
        this.payloads = new JsonPayloads(s.maxPayloadBytes);
        this.untilAvailable = new UntilAvailable(s.retryInitialDelayMs, s.retryMaxDelayMs);
        this.sinks = new SinkChecks(dataSource, s, kafkaTopics, kafkaClients, influxCa);
        this.scaleOut = new ScaleOut(context, s, instanceId, kafkaTopics, meters);
        // registered first, so closed last (newest first): the TSDB client, then the pool
        this.closing = new ClosingService();
        if (dataSource instanceof AutoCloseable pool) {
            closing.add(pool);
        }
        closing.add(tsdb);
    }

    /**
     * The platform of this context, built and bound (with its shared beans) by the first caller.
     *
     * @throws IllegalArgumentException when a configuration property is missing or malformed
     */
    public static synchronized Platform of(CamelContext context) {
        Platform existing = context.getRegistry().lookupByNameAndType(BEAN, Platform.class);
        if (existing != null) {
            return existing;
        }
        PlatformSettings s = new PlatformSettings();
        try {
            PluginHelper.getBeanPostProcessor(context).postProcessBeforeInitialization(s, "platformSettings");
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read gridwire's configuration: " + e.getMessage(), e);
        }
        Platform p = new Platform(context, s);
        p.bindShared();
        return p;
    }

    private void bindShared() {
        var registry = context.getRegistry();
        registry.bind(BEAN, this);
        registry.bind("dataSource", dataSource);
        // before any route exists: its tracer adds a route policy to each
        io.opentelemetry.sdk.OpenTelemetrySdk tracing = Tracing.enable(context, instanceId);
        if (tracing != null) {
            closeOnStop(tracing::close);
        }
        registry.bind("deadLetterStore", deadLetters);
        try {
            context.addStartupListener(startSteps);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        // PostgreSQL may still be starting beside gridwire: the first connection waits up to 30 s
        onStart("schema migrations", () -> StartupSteps.untilConnected(30_000, () -> Migrations.apply(dataSource)));
        // stopped after every route and pipeline (services stop in reverse order): clients, then shared resources
        addService(closing);
        // every topic a family registered, created once all configurations ran
        onStart("Kafka topics", kafkaTopics::ensure);
        // the leader election, and kafka-first mode's buffer: their services, health checks and start-up lines
        scaleOut.bind(this);
    }

    /** kafka-first mode's buffer (raw topics, sink workers, replay); null in direct mode. */
    public io.gridwire.sink.KafkaIngestBuffer ingestBuffer() {
        return scaleOut.ingestBuffer();
    }

    /** Who leads the singleton work (routes {@code master:gridwire:...}), and changes of it. */
    public io.gridwire.cluster.Leadership leadership() {
        return scaleOut.leadership();
    }

    /**
     * A start-up step: runs when the context starts, after the routes are built and before any consumer starts, in the
     * order added; a failure stops start-up (the context does not start, naming the step).
     *
     * @param what the step's name in the log and in a start-up failure
     * @param step the I/O to do (e.g. load the family's state from PostgreSQL)
     */
    public void onStart(String what, ThrowingRunnable step) {
        startSteps.add(what, step);
    }

    /** A start-up step. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * Adds a service to the context: started with it (deferred until it starts), stopped before everything added
     * earlier (the shared resources were added first, so they stop last).
     *
     * @throws IllegalStateException when the context refuses it
     */
    public void addService(Object service) {
        try {
            context.addService(service);
        } catch (Exception e) {
            throw new IllegalStateException("cannot add service " + service + ": " + e.getMessage(), e);
        }
    }

    /**
     * Closes the resource when gridwire stops, after the routes have stopped and the pipelines drained (in reverse
     * order of registration; a failure to close is logged at DEBUG and the rest still close).
     *
     * @return the resource, for chaining
     */
    public <T extends AutoCloseable> T closeOnStop(T resource) {
        closing.add(resource);
        return resource;
    }

    /**
     * An ingest MQTT connection (persistent session, manual acks) with client id {@link #clientId(String)}, bound
     * as {@code bean}, checked as health check {@code healthCheck}, named in the start-up block with {@code label} and
     * the subscription property {@code topicsProperty}, disconnected on stop. With {@code mqtt.shared-group} set its
     * subscriptions are shared ({@code $share/<group>/<filter>}) and a graceful stop ends its session.
     */
    public DeferredConnectMqttClient ingestClient(String bean, String suffix, String healthCheck, String label, String topicsProperty) {
        DeferredConnectMqttClient client = Resources.mqttClient(settings, broker(), clientId(suffix), sessionExpirySeconds(), sharedGroup());
        register(bean, client, DependencyCheck.mqtt(healthCheck, client), label, topicsProperty);
        return client;
    }

    /**
     * An ingest MQTT connection only the leader holds, for a route {@code master:gridwire:paho-mqtt5:...}: client id
     * {@link #singletonClientId(String)} (the same on every instance, so a new leader takes over the session and what it
     * queued), never shared, session expiry {@code mqtt.sessionExpirySeconds}; it connects when the route's consumer
     * starts and disconnects, keeping the session, when this instance stops leading. Its health check is UP on a
     * follower, naming the leader.
     */
    public DeferredConnectMqttClient leaderIngestClient(String bean, String suffix, String healthCheck, String label, String topicsProperty) {
        DeferredConnectMqttClient client = Resources.mqttClient(settings, broker(), singletonClientId(suffix), settings.mqttSessionExpirySeconds, null);
        io.gridwire.cluster.Leadership leadership = leadership();
        leadership.onChange(leading -> {
            if (!leading) {
                client.standBy();
            }
        });
        register(bean, client, DependencyCheck.mqtt(healthCheck, client, () -> leadership.isLeader() ? null
                : "the leader (" + leadership.leaderId() + ") holds this connection"), label, topicsProperty);
        return client;
    }

    private void register(String bean, DeferredConnectMqttClient client, DependencyCheck check, String label, String topicsProperty) {
        context.getRegistry().bind(bean, client);
        closeOnStop(client::shutdown);
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(check);
        }
        // a topics key a route file gives a default for ({{key:default}}) may be absent from the properties
        banner.add(new BannerLine("MQTT", () -> "  " + label + " (" + context.getPropertiesComponent().resolveProperty(topicsProperty)
                .orElse(topicsProperty + ", default in its route file") + "): " + StartupBanner.state(check.call())));
    }

    /**
     * A publishing MQTT connection as the gridwire account (client id {@link #clientId(String)}), closed on stop;
     * it connects when it first publishes, not here.
     *
     * @param purpose what it publishes, for its log lines
     * @throws Exception Paho's {@code MqttException} when the client id or broker URI is invalid
     */
    public MqttSender sender(String suffix, String purpose) throws Exception {
        return closeOnStop(new MqttSender(broker(), clientId(suffix), settings.mqttUsername, settings.mqttPassword, purpose));
    }

    /**
     * The sink pipeline of family {@code name}, bound as {@code bean}: its stages (comma-separated direct: URIs) run
     * pipelined, a batch is acked once every stage committed it; retried with {@code delivery.retry.*}, isolated after
     * {@code ingest.isolateAfterAttempts} answered failures, drained on stop before the clients close.
     */
    public SinkPipeline sinkPipeline(String bean, String name, String stages) {
        SinkPipeline pipeline = new SinkPipeline(name, stages, settings.batchDepth, settings.retryInitialDelayMs, settings.retryMaxDelayMs);
        pipeline.setCamelContext(context);
        pipeline.setSinkAnswering(sinks.answering(), settings.isolateAfterAttempts);
        context.getRegistry().bind(bean, pipeline);
        // added after the platform's closing service: stops (drains, acks) before it
        addService(pipeline);
        return pipeline;
    }

    /** Adds a line to the start-up block (section "" continues the previous one). */
    public void bannerLine(String section, Supplier<String> text) {
        banner.add(new BannerLine(section, text));
    }

    List<BannerLine> bannerLines() {
        return List.copyOf(banner);
    }

    /** A configuration value (application.properties, overridden by the environment); throws when missing. */
    public String property(String key) {
        return context.getPropertiesComponent().resolveProperty(key)
                .orElseThrow(() -> new IllegalArgumentException("missing configuration property " + key));
    }

    /** This instance's HTTP base URL as a local user reaches it, http://localhost:{http.port}. */
    public String httpUrl() {
        return "http://localhost:" + property("http.port");
    }

    /** The shared PostgreSQL connection pool. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** The InfluxDB v2 client (its blocking write API: camel-influxdb2's producer swallows errors). */
    public InfluxDBClient tsdb() {
        return tsdb;
    }

    /** The one TSDB writer (influx.bucket of influx.org, blocking, timed per measurement). */
    public TsdbWriter tsdbWriter() {
        return tsdbWriter;
    }

    /** The meters of /metrics (timings in ms, counts). */
    public Meters meters() {
        return meters;
    }

    /** Bootstrap servers and security of gridwire's own Kafka clients (kafka.*); camel-kafka's component has the same. */
    public KafkaClients kafkaClients() {
        return kafkaClients;
    }

    /** The topics gridwire writes: a family adds its own; all are created at start-up when missing. */
    public KafkaTopics kafkaTopics() {
        return kafkaTopics;
    }

    /** Where refused messages are stored as dead letters, with their reason. */
    public DeadLetterStore deadLetters() {
        return deadLetters;
    }

    /** JSON parsing with {@code mqtt.maxPayloadBytes} as the limit. */
    public JsonPayloads payloads() {
        return payloads;
    }

    /** mqtt.maxPayloadBytes: the largest payload accepted, in bytes. */
    public int maxPayloadBytes() {
        return settings.maxPayloadBytes;
    }

    /** Retries a database step until it succeeds ({@code delivery.retry.*} backoff), for steps outside a pipeline. */
    public UntilAvailable untilAvailable() {
        return untilAvailable;
    }

    /** Held-back time past which the ingest health check is DOWN (ms). */
    public long heldBackHealthMs() {
        return settings.heldBackHealthMs;
    }

    SinkChecks sinks() {
        return sinks;
    }

    /** The broker gridwire's own connections use (mqtt.broker.*, with TLS from mqtt.tls.*). */
    public MqttBroker broker() {
        return broker;
    }

    /**
     * The client id of one of this instance's MQTT connections: {@code mqtt.clientId}, the instance id, the purpose
     * (e.g. gridwire-node-a-energy for suffix "-energy").
     */
    public String clientId(String suffix) {
        return settings.mqttClientId + "-" + instanceId + suffix;
    }

    /**
     * The client id of a connection only the leader holds (the PDU socket brokers'): {@code mqtt.clientId} and the
     * purpose, without the instance id, so whichever instance leads takes over the same session on the broker.
     */
    public String singletonClientId(String suffix) {
        return settings.mqttClientId + suffix;
    }

    /** mqtt.sessionExpirySeconds: the session expiry of connections that are not shared (PDU socket brokers), s. */
    public int unsharedSessionExpirySeconds() {
        return settings.mqttSessionExpirySeconds;
    }

    /** This instance's id ({@code gridwire.instance-id}, else the host name). */
    public String instanceId() {
        return instanceId;
    }

    /** mqtt.shared-group: the shared subscription group of the ingest connections; null when not shared. */
    public String sharedGroup() {
        return settings.mqttSharedGroup.isBlank() ? null : settings.mqttSharedGroup.trim();
    }

    /**
     * How long the broker keeps an ingest session (QoS 1 messages queued) while away, in seconds:
     * mqtt.sessionExpirySeconds, or mqtt.sharedSessionExpirySeconds with a shared group.
     */
    public int sessionExpirySeconds() {
        return sharedGroup() == null ? settings.mqttSessionExpirySeconds : settings.mqttSharedSessionExpirySeconds;
    }

    /** mqtt.connectRetrySeconds: seconds between connect attempts while the broker is unreachable. */
    public int connectRetrySeconds() {
        return settings.mqttConnectRetrySeconds;
    }
}
