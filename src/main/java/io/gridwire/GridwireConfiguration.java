package io.gridwire;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.gridwire.platform.Migrations;
import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.MqttIngestComponent;
import io.gridwire.mqtt.MqttIngestConsumer;
import io.gridwire.mqtt.TopicHeaders;
import io.gridwire.api.ApiAuth;
import io.gridwire.autocore.AutocoreMaintenance;
import io.gridwire.autocore.AutocoreMonitor;
import io.gridwire.api.ApiErrors;
import io.gridwire.platform.DeadLetterApi;
import io.gridwire.simulator.MockDeviceApi;
import io.gridwire.deviceevents.RegistryApi;
import io.gridwire.deviceevents.DeviceEventSync;
import io.gridwire.platform.KafkaSendTiming;
import io.gridwire.metrics.Meters;
import io.gridwire.platform.RouteMeters;
import io.gridwire.platform.DependencyCheck;
import io.gridwire.platform.HawtioConsole;
import io.gridwire.platform.StartupBanner;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gridwire.message.JsonPayloads;
import io.gridwire.pdu.PduApi;
import io.gridwire.pdu.SocketMessages;
import io.gridwire.pdu.SocketSubscriptions;
import io.gridwire.mqtt.MqttSender;
import io.gridwire.sites.DeviceStatusStream;
import io.gridwire.sites.EmsAnalytics;
import io.gridwire.sites.EmsBridge;
import io.gridwire.sites.EmsDevices;
import io.gridwire.sites.EmsHealth;
import io.gridwire.deviceevents.DeviceEventOutbox;
import io.gridwire.deviceevents.DeviceRegistry;
import io.gridwire.simulator.DeviceTypes;
import io.gridwire.simulator.MockDeviceCommands;
import io.gridwire.simulator.MockDeviceStore;
import io.gridwire.simulator.MockDevices;
import io.gridwire.simulator.MqttPublisher;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.sink.DeadLetterStore;
import io.gridwire.energy.InfluxTelemetrySink;
import io.gridwire.sink.KafkaSender;
import io.gridwire.sink.KafkaTopics;
import io.gridwire.sink.KafkaRecords;
import io.gridwire.energy.PostgresTelemetrySink;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.energy.TelemetryReadings;
import okhttp3.OkHttpClient;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds gridwire's beans from the configuration (application.properties, overridden by the environment) and
 * binds them under the names the YAML routes use.
 */
public class GridwireConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GridwireConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Props p = new Props(context);
        Registry registry = context.getRegistry();

        DataSource dataSource = dataSource(p);
        Migrations.apply(dataSource);
        registry.bind("dataSource", dataSource);

        io.gridwire.message.PayloadTimestamps.configure(java.time.Instant.parse(p.get("timestamps.earliest")),
                Duration.parse(p.get("timestamps.maxFutureSkew")));
        TelemetryReadings readings = new TelemetryReadings(p.integer("mqtt.maxPayloadBytes"));
        registry.bind("telemetryReadings", readings);
        registry.bind("topicHeaders", new TopicHeaders());

        InfluxDBClient influx = influxClient(p);
        Meters meters = new Meters(context);
        registry.bind("postgresTelemetrySink", new PostgresTelemetrySink(dataSource, meters));
        registry.bind("influxTelemetrySink", new InfluxTelemetrySink(influx, p.get("influx.bucket"), p.get("influx.org"),
                p.get("influx.measurement.energy"), meters));
        registry.bind("energyKafkaRecords", new io.gridwire.energy.EnergyKafkaRecords(context, readings));
        long retryMs = p.integer("telemetry.retry.initialDelayMs");
        long maxRetryMs = p.integer("telemetry.retry.maxDelayMs");
        DeadLetterStore deadLetters = new DeadLetterStore(dataSource, retryMs, maxRetryMs, meters);
        registry.bind("deadLetterStore", deadLetters);

        // the mqtt-ingest: component (one exchange per batch of MQTT messages) and energy's sink stages
        registry.bind("mqtt-ingest", new MqttIngestComponent());
        sinkPipeline(context, p, "energyTelemetryPipeline", "energy-telemetry",
                "direct:energy-telemetry-store,direct:energy-telemetry-publish");
        sinkPipeline(context, p, "pduPipeline", "pdu", "direct:pdu-store");
        sinkPipeline(context, p, "deviceEventsPipeline", "device-events", "direct:device-events-store");
        sinkPipeline(context, p, "autocorePipeline", "autocore", "direct:autocore-store,direct:autocore-tsdb,direct:autocore-publish");

        String clientId = p.get("mqtt.clientId");
        DeferredConnectMqttClient mqtt = mqttClient(p, clientId);
        registry.bind("energyMqttClient", mqtt);
        DeferredConnectMqttClient commandsMqtt = mqttClient(p, clientId + "-commands");
        registry.bind("commandsMqttClient", commandsMqtt);
        DeferredConnectMqttClient eventsMqtt = mqttClient(p, clientId + "-events");
        registry.bind("eventsMqttClient", eventsMqtt);

        // Seed 001 mock devices: state in memory, definitions and energy in PostgreSQL, messages over their own connection.
        MqttPublisher simulatorMqtt = new MqttPublisher(brokerUri(p), clientId + "-simulator", p.get("mqtt.device.username"),
                p.get("mqtt.device.password"), p.integer("simulator.qos"), p.integer("simulator.maxInflight"));
        registry.bind("mockDevicePublisher", simulatorMqtt);
        MockDevices mockDevices = new MockDevices(new MockDeviceStore(dataSource), simulatorMqtt, new MockDevices.Settings(
                p.integer("simulator.seed"), p.get("simulator.topic"), p.get("simulator.statusTopic"),
                p.integer("simulator.interval"), p.decimal("simulator.failureRate"), p.integer("simulator.failureDurationMs"),
                Boolean.parseBoolean(p.get("simulator.enabled"))), System::currentTimeMillis);
        LOG.info("Loaded {} mock devices from PostgreSQL", mockDevices.load());
        registry.bind("mockDevices", mockDevices);
        JsonPayloads payloads = new JsonPayloads(p.integer("mqtt.maxPayloadBytes"));
        UntilAvailable untilDbAvailable = new UntilAvailable(retryMs, maxRetryMs);
        registry.bind("mockDeviceCommands", new MockDeviceCommands(mockDevices, payloads, untilDbAvailable));
        registry.bind("mockDeviceApi", new MockDeviceApi(mockDevices, simulatorMqtt::connected));

        // Seed 000: registry of real devices, its events (outbox), and the listener mirroring them as mock devices.
        DeviceEventOutbox outbox = new DeviceEventOutbox(dataSource, brokerUri(p), clientId + "-events-out",
                p.get("mqtt.username"), p.get("mqtt.password"));
        registry.bind("deviceEventOutbox", outbox);
        registry.bind("registryApi", new RegistryApi(new DeviceRegistry(dataSource, p.get("events.topic"), p.get("events.source")),
                outbox));
        registry.bind("deviceEventSync", new DeviceEventSync(dataSource, mockDevices, payloads, new DeviceTypes.Base(
                p.decimal("events.unknownType.basePower"), p.decimal("events.unknownType.baseVoltage"))));

        // Seed 002 AutoCore monitor.
        DeferredConnectMqttClient autocoreMqtt = mqttClient(p, clientId + "-autocore");
        KafkaSender kafkaSender = new KafkaSender(p.get("kafka.bootstrap.servers"), p.integer("kafka.maxBlockMs"),
                p.integer("kafka.deliveryTimeoutMs"), p.integer("kafka.requestTimeoutMs")).withMeters(meters);
        registry.bind("autocoreMqttClient", autocoreMqtt);
        String unknownDevices = p.get("autocore.unknownDevices");
        if (!unknownDevices.equals("auto-register") && !unknownDevices.equals("dead-letter")) {
            throw new IllegalArgumentException("autocore.unknownDevices must be auto-register or dead-letter, got " + unknownDevices);
        }
        registry.bind("autocoreMonitor", new AutocoreMonitor(dataSource, payloads, influx.getWriteApiBlocking(),
                new AutocoreMonitor.Settings(unknownDevices.equals("auto-register"),
                        p.integer("autocore.averages.window"), p.decimal("autocore.anomaly.zScore"),
                        p.integer("autocore.anomaly.minSamples"), p.get("influx.measurement.autocore"), p.get("influx.bucket"),
                        p.get("influx.org"), p.get("kafka.topics.deviceNotifications"), p.get("kafka.topics.deviceAlerts")),
                autocoreMqtt::isConnected, () -> registry.lookupByNameAndType("autocorePipeline", SinkPipeline.class)
                        .heldBackLongerThan(p.integer("ingest.heldBackHealthMs")), () -> deadLetters.count("autocore-ingest"), meters,
                () -> context.getRoute("autocore-ingest") != null
                      && context.getRoute("autocore-ingest").getConsumer() instanceof MqttIngestConsumer c ? c : null));
        registry.bind("autocoreMaintenance", new AutocoreMaintenance(dataSource, p.integer("autocore.retention.days"),
                p.integer("autocore.retention.batchSize"), p.integer("autocore.offline.afterSeconds"),
                p.integer("autocore.averages.window")));

        // every Kafka topic gridwire writes, created when missing (the EMS ones with seed 003's retention)
        for (String replaced : List.of("sites.kafka.partitions", "sites.kafka.replicationFactor")) {
            if (!p.optional(replaced).isEmpty()) {
                LOG.warn("{} is no longer read: kafka.topics.partitions and kafka.topics.replicationFactor apply to every topic "
                         + "gridwire creates", replaced);
            }
        }
        String partitions = p.optional("kafka.topics.partitions");
        String replication = p.optional("kafka.topics.replicationFactor");
        KafkaTopics kafkaTopics = new KafkaTopics(p.get("kafka.bootstrap.servers"),
                partitions.isEmpty() ? null : Integer.valueOf(partitions), replication.isEmpty() ? null : Short.valueOf(replication))
                .topic(p.get("kafka.topics.energyReadings"), null)
                .topic(p.get("kafka.topics.deviceAlerts"), null)
                .topic(p.get("kafka.topics.deviceNotifications"), null);

        // Seed 003 EcoGrid EMS bridge.
        sitesBridge(context, p, dataSource, payloads, untilDbAvailable, kafkaSender, clientId, deadLetters, kafkaTopics);
        kafkaTopics.ensure();

        // Seed 004 PDU sockets: one connection per socket broker, subscriptions following the database.
        SocketSubscriptions sockets = new SocketSubscriptions(context, dataSource, clientId,
                p.integer("mqtt.sessionExpirySeconds"), p.integer("mqtt.connectRetrySeconds"));
        registry.bind("socketSubscriptions", sockets);
        // a socket broker that is down is named in the mqtt-pdu-brokers health detail and counted here
        for (boolean up : new boolean[] {true, false}) {
            meters.gauge("gridwire_pdu_brokers", () -> sockets.brokerProblems().values().stream()
                    .filter(problem -> (problem == null) == up).count(), "state", up ? "up" : "down");
        }
        context.getManagementStrategy().addEventNotifier(sockets);
        SocketMessages socketMessages = new SocketMessages(dataSource, sockets, payloads);
        sockets.setParsers(socketMessages::parserFor);
        registry.bind("socketMessages", socketMessages);
        registry.bind("pduApi", new PduApi(dataSource, sockets));

        ApiAuth apiAuth = new ApiAuth(p.get("api.token"));
        registry.bind("apiAuth", apiAuth);
        MqttSender replays = new MqttSender(brokerUri(p), clientId + "-replay", p.get("mqtt.username"), p.get("mqtt.password"),
                "replaying dead letters");
        registry.bind("deadLetterApi", new DeadLetterApi(dataSource, replays, apiAuth));
        registry.bind("apiErrors", new ApiErrors());

        dependencyChecks(context, p, dataSource, sockets, kafkaTopics);

        HawtioConsole hawtio = hawtioConsole(p);
        if (hawtio != null) {
            registry.bind("hawtioConsole", hawtio);
            context.addService(hawtio);
        }

        // Stopped after the routes (services stop in reverse order): batches flush, acks go out, then disconnect.
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                mqtt.shutdown();
                commandsMqtt.shutdown();
                eventsMqtt.shutdown();
                autocoreMqtt.shutdown();
                kafkaSender.close();
                sockets.shutdown();
                replays.close();
                closeQuietly(registry.lookupByNameAndType("sitesMqttClient", DeferredConnectMqttClient.class));
                closeQuietly(registry.lookupByNameAndType("emsCommandSender", MqttSender.class));
                simulatorMqtt.close();
                outbox.close();
                influx.close();
                if (dataSource instanceof HikariDataSource h) {
                    h.close();
                }
            }
        });
        // after the service above: on stop, the pipelines drain (acks out) while the clients and the pool are still open
        for (SinkPipeline pipeline : registry.findByType(SinkPipeline.class)) {
            context.addService(pipeline);
        }
        simulatorMqtt.start();
        context.getManagementStrategy().addEventNotifier(new StartupBanner(context, p::get,
                () -> (mockDevices.running() ? "running" : "stopped") + " (" + mockDevices.size() + " mock devices, a reading each every "
                        + p.get("simulator.interval") + " ms)",
                () -> hawtio == null ? "off (see the log above for why)" : hawtio.state()));
        context.getManagementStrategy().addEventNotifier(new RouteStartFailures());
        context.getManagementStrategy().addEventNotifier(new RouteMeters(context, meters));
        context.getCamelContextExtension().addInterceptStrategy(new KafkaSendTiming(meters));
    }

    /**
     * Binds a {@link SinkPipeline} as {@code bean} (depth ingest.batch.depth, backoff telemetry.retry.*); it is added as
     * a service once the shared resources are (see configure), so it stops before them.
     */
    private static void sinkPipeline(CamelContext context, Props p, String bean, String name, String stages) throws Exception {
        SinkPipeline pipeline = new SinkPipeline(name, stages, p.integer("ingest.batch.depth"),
                p.integer("telemetry.retry.initialDelayMs"), p.integer("telemetry.retry.maxDelayMs"));
        pipeline.setCamelContext(context);
        context.getRegistry().bind(bean, pipeline);
    }

    private static void sitesBridge(CamelContext context, Props p, DataSource dataSource, JsonPayloads payloads,
                                    UntilAvailable retry, KafkaSender kafkaSender, String clientId,
                                    DeadLetterStore deadLetters, KafkaTopics kafkaTopics) throws Exception {
        Registry registry = context.getRegistry();
        String unknown = p.get("sites.unknownDevices");
        if (!unknown.equals("auto-register") && !unknown.equals("dead-letter")) {
            throw new IllegalArgumentException("sites.unknownDevices must be auto-register or dead-letter, got " + unknown);
        }
        String telemetryTopic = p.get("sites.kafka.telemetryTopic");
        String statusTopic = p.get("sites.kafka.statusTopic");
        long telemetryRetention = Long.parseLong(p.get("sites.kafka.telemetryRetentionMs"));
        long statusRetention = Long.parseLong(p.get("sites.kafka.statusRetentionMs"));
        kafkaTopics.topic(telemetryTopic, telemetryRetention).topic(telemetryTopic + "-dlt", telemetryRetention)
                .topic(statusTopic, statusRetention).topic(statusTopic + "-dlt", statusRetention);

        CircuitBreaker breaker = CircuitBreaker.of("ems-kafka", CircuitBreakerConfig.custom()
                .failureRateThreshold(p.integer("sites.breaker.failureRateThreshold"))
                .slidingWindowSize(p.integer("sites.breaker.slidingWindowSize"))
                .minimumNumberOfCalls(p.integer("sites.breaker.minimumNumberOfCalls"))
                .waitDurationInOpenState(Duration.ofMillis(p.integer("sites.breaker.waitDurationInOpenStateMs")))
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // a record Kafka refuses (too large) says nothing about Kafka being down
                .recordException(io.gridwire.message.SinkFailures::isTransient)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> LOG.warn("Kafka circuit breaker (EMS bridge): {}", e.getStateTransition()));
        registry.bind("emsKafkaBreaker", breaker);
        org.apache.camel.health.HealthCheckRegistry health = org.apache.camel.health.HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new EmsHealth(p.get("kafka.bootstrap.servers"), breaker));
        }

        DeferredConnectMqttClient sitesMqtt = mqttClient(p, clientId + "-sites");
        registry.bind("sitesMqttClient", sitesMqtt);
        EmsDevices devices = new EmsDevices(dataSource, unknown.equals("auto-register"), p.integer("sites.deviceCacheMs"));
        registry.bind("emsDevices", devices);
        MqttSender commands = new MqttSender(brokerUri(p), clientId + "-ems-commands", p.get("mqtt.username"),
                p.get("mqtt.password"), "EMS commands");
        registry.bind("emsCommandSender", commands);
        registry.bind("emsBridge", new EmsBridge(dataSource, devices, payloads, retry, telemetryTopic, statusTopic, breaker,
                kafkaSender, commands, p.get("sites.commandTopic")));
        registry.bind("emsAnalytics", new EmsAnalytics(dataSource, retry, deadLetters));
        sinkPipeline(context, p, "sitesPipeline", "sites", "direct:sites-store,direct:sites-publish");
        // each instance streams every status event: its own consumer group
        context.getPropertiesComponent().addOverrideProperty("sites.stream.groupId",
                "gridwire-status-stream-" + java.util.UUID.randomUUID());
        DeviceStatusStream stream = new DeviceStatusStream(context, p.get("sites.stream.path"), p.integer("http.port"));
        registry.bind("deviceStatusStream", stream);
        context.getManagementStrategy().addEventNotifier(stream);
    }

    private static void closeQuietly(Object o) {
        if (o instanceof DeferredConnectMqttClient c) {
            c.shutdown();
        } else if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close failed: {}", e.getMessage());
            }
        }
    }

    /**
     * The sink probes and /observe/health: one check per real dependency (each subscribing MQTT connection,
     * PostgreSQL, Kafka, InfluxDB), the PDU socket brokers (detail only) and {@code ingest} (families held back). The
     * sink probes also tell every family's {@link SinkPipeline} whether a failing sink answers (with or without a
     * health registry).
     */
    private static void dependencyChecks(CamelContext context, Props p, DataSource dataSource, SocketSubscriptions sockets,
                                         KafkaTopics kafkaTopics) {
        Registry registry = context.getRegistry();
        DependencyCheck postgresql = DependencyCheck.postgresql(dataSource, p.get("db.url"));
        DependencyCheck kafka = DependencyCheck.kafka(p.get("kafka.bootstrap.servers"), kafkaTopics::problem);
        DependencyCheck influxdb = DependencyCheck.influxdb(p.get("influx.url"));
        // every family's sink pipeline: a failure that persists while its sink answers is isolated (dead letter once
        // the sink took the rest of the batch)
        List<SinkPipeline> pipelines = new java.util.ArrayList<>(registry.findByType(SinkPipeline.class));
        pipelines.sort(java.util.Comparator.comparing(SinkPipeline::name));
        java.util.function.Predicate<Throwable> answering = DependencyCheck.sinkAnswering(postgresql, influxdb, kafka);
        pipelines.forEach(pl -> pl.setSinkAnswering(answering, p.integer("ingest.isolateAfterAttempts")));

        org.apache.camel.health.HealthCheckRegistry health = org.apache.camel.health.HealthCheckRegistry.get(context);
        if (health == null) {
            return;
        }
        for (String[] c : new String[][] {{"mqtt-energy", "energyMqttClient"}, {"mqtt-commands", "commandsMqttClient"},
                {"mqtt-device-events", "eventsMqttClient"}, {"mqtt-autocore", "autocoreMqttClient"}, {"mqtt-sites", "sitesMqttClient"}}) {
            health.register(DependencyCheck.mqtt(c[0], registry.lookupByNameAndType(c[1], DeferredConnectMqttClient.class)));
        }
        // a socket's own broker (a remote device's, one site's wrong password) is not gridwire's dependency: each is
        // named with its state in the detail (and in /sockets/:id/mqtt-status), without making gridwire unready
        health.register(new DependencyCheck("mqtt-pdu-brokers", details -> {
            sockets.brokerProblems().forEach((broker, problem) -> details.put(broker, problem == null ? "UP" : "DOWN: " + problem));
            return null;
        }));
        health.register(postgresql);
        health.register(kafka);
        health.register(influxdb);
        // a family held back longer than ingest.heldBackHealthMs makes gridwire unready, naming the sink and why
        long heldBackMs = p.integer("ingest.heldBackHealthMs");
        health.register(new DependencyCheck("ingest", details -> {
            List<String> held = new java.util.ArrayList<>();
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

    private static HawtioConsole hawtioConsole(Props p) throws Exception {
        if (!Boolean.parseBoolean(p.get("hawtio.enabled"))) {
            LOG.info("Hawtio console off (hawtio.enabled=false)");
            return null;
        }
        String war = p.optional("hawtio.war");
        java.nio.file.Path warPath = war.isBlank()
                ? java.nio.file.Path.of(GridwireConfiguration.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                        .getParent().resolve("hawtio").resolve("hawtio.war")
                : java.nio.file.Path.of(war);
        boolean auth = Boolean.parseBoolean(p.get("hawtio.authentication"));
        String password = p.optional("hawtio.password");
        if (auth && password.isBlank()) {
            LOG.error("Hawtio console off: hawtio.authentication is on and no password is set (set HAWTIO_PASSWORD, "
                    + "and HAWTIO_USER if not '{}')", p.optional("hawtio.user"));
            return null;
        }
        return new HawtioConsole(new HawtioConsole.Settings(p.get("hawtio.host"), p.integer("hawtio.port"), warPath, auth,
                p.optional("hawtio.user"), password));
    }

    private static DataSource dataSource(Props p) {
        HikariConfig c = new HikariConfig();
        c.setPoolName("gridwire-db");
        c.setJdbcUrl(p.get("db.url"));
        c.setUsername(p.get("db.user"));
        c.setPassword(p.get("db.password"));
        c.setMaximumPoolSize(p.integer("db.poolSize"));
        c.setConnectionTimeout(p.integer("db.connectionTimeoutMs"));
        // start even if PostgreSQL is briefly unavailable later; the first connection (migrations) must succeed
        c.setInitializationFailTimeout(30_000);
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        c.addDataSourceProperty("ApplicationName", "gridwire");
        return new HikariDataSource(c);
    }

    private static InfluxDBClient influxClient(Props p) {
        Duration timeout = Duration.ofMillis(p.integer("influx.timeoutMs"));
        OkHttpClient.Builder http = new OkHttpClient.Builder()
                .connectTimeout(timeout).readTimeout(timeout).writeTimeout(timeout).retryOnConnectionFailure(false);
        InfluxDBClient client = InfluxDBClientFactory.create(InfluxDBClientOptions.builder()
                .url(p.get("influx.url"))
                .authenticateToken(p.get("influx.token").toCharArray())
                .org(p.get("influx.org"))
                .bucket(p.get("influx.bucket"))
                .okHttpClient(http)
                .build());
        if (Boolean.parseBoolean(p.get("influx.gzip"))) {
            // measured here: a plain 450-point write waited ~45 ms (TCP delayed ACK), gzipped 1-3 ms
            client.enableGzip();
        }
        return client;
    }

    private static DeferredConnectMqttClient mqttClient(Props p, String clientId) throws Exception {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setUserName(p.get("mqtt.username"));
        o.setPassword(p.get("mqtt.password").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // persistent session: the broker queues QoS 1 messages while gridwire is away
        o.setCleanStart(false);
        o.setSessionExpiryInterval((long) p.integer("mqtt.sessionExpirySeconds"));
        o.setReceiveMaximum(p.integer("mqtt.receiveMaximum"));
        o.setKeepAliveInterval(p.integer("mqtt.keepAliveSeconds"));
        o.setConnectionTimeout(p.integer("mqtt.connectTimeoutSeconds"));
        // read packets a socket buffer at a time, not a few bytes per system call
        o.setSocketFactory(new io.gridwire.mqtt.BufferedSocketFactory());
        return new DeferredConnectMqttClient(brokerUri(p), clientId, o, p.integer("mqtt.connectRetrySeconds"));
    }

    private static String brokerUri(Props p) {
        return "tcp://" + p.get("mqtt.broker.host") + ":" + p.get("mqtt.broker.port");
    }

    /** Resolved configuration values (application.properties, overridden by environment variables). */
    static final class Props {
        private final CamelContext context;

        Props(CamelContext context) {
            this.context = context;
        }

        String get(String key) {
            return context.getPropertiesComponent().resolveProperty(key)
                    .orElseThrow(() -> new IllegalArgumentException("missing configuration property " + key));
        }

        /** The value, or "" when the key is unset or empty. */
        String optional(String key) {
            return context.getPropertiesComponent().resolveProperty(key).orElse("").trim();
        }

        double decimal(String key) {
            String v = get(key);
            try {
                return Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration property " + key + " must be a number, got '" + v + "'");
            }
        }

        int integer(String key) {
            String v = get(key);
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration property " + key + " must be an integer, got '" + v + "'");
            }
        }
    }

    /**
     * Says why a supervised route could not start (the route controller retries it, but logs no reason).
     */
    static final class RouteStartFailures extends io.gridwire.platform.LifecycleNotifier {
        @Override
        public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
            return event instanceof org.apache.camel.spi.CamelEvent.RouteRestartingFailureEvent
;
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
