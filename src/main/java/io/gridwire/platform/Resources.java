package io.gridwire.platform;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import java.util.Map;

import javax.sql.DataSource;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.MqttBroker;
import io.gridwire.sink.KafkaClients;
import okhttp3.OkHttpClient;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;

/** Builds the shared clients from {@link PlatformSettings}; none of them connects until first used. */
final class Resources {

    private Resources() {
    }

    /** The HikariCP pool (db.*); connects lazily, so wiring needs no running PostgreSQL. */
    static DataSource dataSource(PlatformSettings s) {
        HikariConfig c = new HikariConfig();
        c.setPoolName("gridwire-db");
        c.setJdbcUrl(s.dbUrl);
        c.setUsername(s.dbUser);
        c.setPassword(s.dbPassword);
        c.setMaximumPoolSize(s.dbPoolSize);
        c.setConnectionTimeout(s.dbConnectionTimeoutMs);
        // no connection while wiring; the start-up migrations are the first to need one (and wait for it)
        c.setInitializationFailTimeout(-1);
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        c.addDataSourceProperty("ApplicationName", "gridwire");
        return new HikariDataSource(c);
    }

    /**
     * The InfluxDB v2 client (influx.*), gzip on by default, no retry of its own (the pipelines retry); an https://
     * influx.url is verified against influx.tls.caFile (PEM) when set, else the JVM's trusted CAs.
     */
    static InfluxDBClient tsdb(PlatformSettings s, TlsContexts.Material ca) {
        Duration timeout = Duration.ofMillis(s.influxTimeoutMs);
        OkHttpClient.Builder http = new OkHttpClient.Builder()
                .connectTimeout(timeout).readTimeout(timeout).writeTimeout(timeout).retryOnConnectionFailure(false);
        if (ca != null) {
            // an https:// InfluxDB whose certificate chains to a private CA
            http.sslSocketFactory(TlsContexts.context(ca).getSocketFactory(), TlsContexts.trustManager(ca));
        }
        InfluxDBClient client = InfluxDBClientFactory.create(InfluxDBClientOptions.builder()
                .url(s.influxUrl)
                .authenticateToken(s.influxToken.toCharArray())
                .org(s.influxOrg)
                .bucket(s.influxBucket)
                .okHttpClient(http)
                .build());
        if (s.influxGzip) {
            // measured here: a plain 450-point write waited ~45 ms (TCP delayed ACK), gzipped 1-3 ms
            client.enableGzip();
        }
        return client;
    }

    /**
     * The cluster service of {@code cluster.service}: postgresql (an advisory lock in gridwire's database) or kubernetes
     * (a Lease named gridwire-leaders in {@code cluster.kubernetes.namespace}, the pod's own when empty); not started.
     *
     * @throws IllegalArgumentException for another value
     */
    static org.apache.camel.cluster.CamelClusterService clusterService(PlatformSettings s, String instanceId) {
        switch (s.clusterService.trim()) {
            case "postgresql":
                return new io.gridwire.cluster.PostgresClusterService(instanceId, s.dbUrl, s.dbUser, s.dbPassword,
                        s.clusterCheckIntervalMs);
            case "kubernetes":
                var k = new org.apache.camel.component.kubernetes.cluster.KubernetesClusterService();
                k.setId("kubernetes");
                k.setPodName(instanceId);
                if (!s.clusterKubernetesNamespace.isBlank()) {
                    k.setKubernetesNamespace(s.clusterKubernetesNamespace.trim());
                }
                k.setLeaseResourceType(org.apache.camel.component.kubernetes.cluster.LeaseResourceType.Lease);
                k.setKubernetesResourceName("gridwire-leaders");
                k.setLeaseDurationMillis(s.clusterLeaseDurationMs);
                k.setRenewDeadlineMillis(s.clusterLeaseDurationMs * 2 / 3);
                k.setRetryPeriodMillis(s.clusterCheckIntervalMs);
                Map<String, String> labels = new java.util.LinkedHashMap<>();
                for (String kv : s.clusterKubernetesPodLabels.split(",")) {
                    String[] p = kv.trim().split("=", 2);
                    if (p.length != 2 || p[0].isBlank()) {
                        throw new IllegalArgumentException("cluster.kubernetes.podLabels '" + s.clusterKubernetesPodLabels
                                + "': k=v pairs separated by commas");
                    }
                    labels.put(p[0].trim(), p[1].trim());
                }
                k.setClusterLabels(labels);
                return k;
            default:
                throw new IllegalArgumentException("cluster.service '" + s.clusterService + "': postgresql or kubernetes");
        }
    }

    /** The CAs influx.tls.caFile names, or null for the JVM's. @throws IllegalArgumentException the file is unreadable */
    static TlsContexts.Material influxCa(PlatformSettings s) {
        return s.influxTlsCaFile.isBlank() ? null : TlsContexts.Material.files(s.influxTlsCaFile, null, null, "influx.tls");
    }

    /**
     * gridwire's Kafka connection (kafka.bootstrap.servers, kafka.security.protocol, kafka.sasl.*, kafka.tls.caFile) for
     * its own clients, also set on camel-kafka's component so every kafka: endpoint of the routes uses it.
     *
     * @throws IllegalArgumentException an unknown protocol or mechanism, SASL without a username
     */
    static KafkaClients kafkaClients(PlatformSettings s, CamelContext context) {
        KafkaClients k = KafkaClients.of(s.kafkaBootstrap, s.kafkaSecurityProtocol, s.kafkaSaslMechanism, s.kafkaSaslUsername.trim(),
                s.kafkaSaslPassword.trim(), s.kafkaTlsCaFile);
        // applied last to every producer and consumer of the endpoints, over the component's own security options
        KafkaConfiguration c = context.getComponent("kafka", KafkaComponent.class).getConfiguration();
        java.util.Map<String, Object> additional = new java.util.HashMap<>(c.getAdditionalProperties() == null ? Map.of() : c.getAdditionalProperties());
        additional.putAll(k.security());
        c.setAdditionalProperties(additional);
        return k;
    }

    /**
     * The broker of gridwire's own connections: mqtt.broker.host/port, over TLS when mqtt.tls.enabled with the CAs of
     * mqtt.tls.caFile (else the JVM's) and, for mutual TLS, mqtt.tls.certFile/keyFile.
     *
     * @throws IllegalArgumentException a TLS file is missing or holds no certificate or key (the message names the setting)
     */
    static MqttBroker mqttBroker(PlatformSettings s) {
        if (!s.mqttTlsEnabled) {
            return MqttBroker.plain(s.mqttHost, s.mqttPort);
        }
        TlsContexts.Material m = TlsContexts.Material.files(s.mqttTlsCaFile, s.mqttTlsCertFile, s.mqttTlsKeyFile, "mqtt.tls");
        return new MqttBroker(s.mqttHost, s.mqttPort, TlsContexts.context(m).getSocketFactory(), s.mqttTlsVerifyHostname);
    }

    /**
     * An ingest connection as the gridwire account: persistent session of {@code sessionExpirySeconds}, manual acks,
     * its subscriptions shared in {@code sharedGroup} (null: not shared).
     */
    static DeferredConnectMqttClient mqttClient(PlatformSettings s, MqttBroker broker, String clientId, long sessionExpirySeconds,
                                                String sharedGroup) {
        MqttConnectionOptions o = broker.applyTo(new MqttConnectionOptions());
        o.setUserName(s.mqttUsername);
        o.setPassword(s.mqttPassword.getBytes(StandardCharsets.UTF_8));
        // persistent session: the broker queues QoS 1 messages while gridwire is away
        o.setCleanStart(false);
        o.setSessionExpiryInterval(sessionExpirySeconds);
        o.setReceiveMaximum(s.mqttReceiveMaximum);
        o.setKeepAliveInterval(s.mqttKeepAliveSeconds);
        o.setConnectionTimeout(s.mqttConnectTimeoutSeconds);
        try {
            DeferredConnectMqttClient client = new DeferredConnectMqttClient(broker.uri(), clientId, o,
                    s.mqttConnectRetrySeconds);
            client.shareSubscriptions(sharedGroup);
            client.setDrainQuietMs(s.mqttDrainQuietMs);
            return client;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot make MQTT client " + clientId + ": " + e.getMessage(), e);
        }
    }
}
