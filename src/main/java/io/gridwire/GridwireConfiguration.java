package io.gridwire;

import java.time.Duration;

import javax.sql.DataSource;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.gridwire.db.Migrations;
import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.TopicHeaders;
import io.gridwire.simulator.MockDevices;
import io.gridwire.sink.AckAfterCommitBatcher;
import io.gridwire.sink.DeadLetterStore;
import io.gridwire.sink.InfluxTelemetrySink;
import io.gridwire.sink.KafkaRecords;
import io.gridwire.sink.PostgresTelemetrySink;
import io.gridwire.telemetry.TelemetryReadings;
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

        TelemetryReadings readings = new TelemetryReadings(p.integer("mqtt.maxPayloadBytes"),
                Duration.parse(p.get("telemetry.maxFutureSkew")));
        registry.bind("telemetryReadings", readings);
        registry.bind("energyTopicHeaders", new TopicHeaders(p.get("mqtt.topics.energyData"), "deviceId"));

        InfluxDBClient influx = influxClient(p);
        registry.bind("postgresTelemetrySink", new PostgresTelemetrySink(dataSource));
        registry.bind("influxTelemetrySink", new InfluxTelemetrySink(influx, p.get("influx.bucket"), p.get("influx.org"),
                p.get("influx.measurement.energy")));
        registry.bind("kafkaRecords", new KafkaRecords(context, readings));
        long retryMs = p.integer("telemetry.retry.initialDelayMs");
        long maxRetryMs = p.integer("telemetry.retry.maxDelayMs");
        registry.bind("deadLetterStore", new DeadLetterStore(dataSource, retryMs, maxRetryMs));

        AckAfterCommitBatcher batcher = new AckAfterCommitBatcher("energy-telemetry", "direct:energy-telemetry-sinks",
                p.integer("telemetry.batch.size"), p.integer("telemetry.batch.maxDelayMs"), retryMs, maxRetryMs);
        batcher.setCamelContext(context);
        registry.bind("energyTelemetryBatcher", batcher);

        DeferredConnectMqttClient mqtt = mqttClient(p, p.get("mqtt.clientId"));
        registry.bind("energyMqttClient", mqtt);

        registry.bind("mockDevices", new MockDevices(p.integer("simulator.seed"), p.get("simulator.topic")));

        // Stopped after the routes (services stop in reverse order): batches flush, acks go out, then disconnect.
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                mqtt.shutdown();
                influx.close();
                if (dataSource instanceof HikariDataSource h) {
                    h.close();
                }
            }
        });
        context.addService(batcher);
        context.getManagementStrategy().addEventNotifier(new StartupBanner(p));
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
        return InfluxDBClientFactory.create(InfluxDBClientOptions.builder()
                .url(p.get("influx.url"))
                .authenticateToken(p.get("influx.token").toCharArray())
                .org(p.get("influx.org"))
                .bucket(p.get("influx.bucket"))
                .okHttpClient(http)
                .build());
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
        o.setAutomaticReconnect(true);
        o.setAutomaticReconnectDelay(1, 30);
        String uri = "tcp://" + p.get("mqtt.broker.host") + ":" + p.get("mqtt.broker.port");
        return new DeferredConnectMqttClient(uri, clientId, o, p.integer("mqtt.connectRetrySeconds"));
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

        int integer(String key) {
            String v = get(key);
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration property " + key + " must be an integer, got '" + v + "'");
            }
        }
    }

    /** Logs once where everything is, when gridwire has started. */
    static final class StartupBanner extends org.apache.camel.support.SimpleEventNotifierSupport {
        private final Props p;
        private final java.util.concurrent.atomic.AtomicBoolean logged = new java.util.concurrent.atomic.AtomicBoolean();

        StartupBanner(Props p) {
            this.p = p;
        }

        @Override
        public boolean isEnabled(org.apache.camel.spi.CamelEvent event) {
            return event instanceof org.apache.camel.spi.CamelEvent.CamelContextStartedEvent;
        }

        @Override
        public void notify(org.apache.camel.spi.CamelEvent event) {
            if (logged.getAndSet(true)) {
                return;
            }
            String http = "http://localhost:" + p.get("http.port");
            LOG.info("""
                    gridwire started
                      HTTP        {}  (health {}/observe/health)
                      MQTT        tcp://{}:{}  subscribed to {} as {}
                      PostgreSQL  {}  (tables device_readings, device_current_state, dead_letters)
                      InfluxDB v2 {}  (org {}, bucket {}, measurement {})
                      Kafka       {}  (topic {})
                      Simulator   {} ({} mock devices, a reading each every {} ms)""",
                    http, http, p.get("mqtt.broker.host"), p.get("mqtt.broker.port"), p.get("mqtt.topics.energyData"),
                    p.get("mqtt.username"), p.get("db.url"), p.get("influx.url"), p.get("influx.org"),
                    p.get("influx.bucket"), p.get("influx.measurement.energy"), p.get("kafka.bootstrap.servers"),
                    p.get("kafka.topics.energyReadings"),
                    Boolean.parseBoolean(p.get("simulator.enabled")) ? "on" : "off", MockDevices.DEFAULTS.size(),
                    p.get("simulator.interval"));
        }
    }
}
