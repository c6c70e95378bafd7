package io.gridwire.platform;

import org.apache.camel.PropertyInject;

/**
 * The configuration every family shares (application.properties, each key overridable by its environment variable),
 * injected by Camel's bean post processor; what each key means is commented in application.properties.
 */
final class PlatformSettings {
    @PropertyInject("db.url") String dbUrl;
    @PropertyInject("db.user") String dbUser;
    @PropertyInject("db.password") String dbPassword;
    @PropertyInject("db.poolSize") int dbPoolSize;
    @PropertyInject("db.connectionTimeoutMs") int dbConnectionTimeoutMs;

    @PropertyInject("influx.url") String influxUrl;
    @PropertyInject("influx.token") String influxToken;
    @PropertyInject("influx.org") String influxOrg;
    @PropertyInject("influx.bucket") String influxBucket;
    @PropertyInject("influx.timeoutMs") int influxTimeoutMs;
    @PropertyInject("influx.gzip") boolean influxGzip;
    @PropertyInject(value = "influx.tls.caFile", defaultValue = " ") String influxTlsCaFile;

    @PropertyInject("kafka.bootstrap.servers") String kafkaBootstrap;
    @PropertyInject("kafka.security.protocol") String kafkaSecurityProtocol;
    @PropertyInject("kafka.sasl.mechanism") String kafkaSaslMechanism;
    @PropertyInject(value = "kafka.sasl.username", defaultValue = " ") String kafkaSaslUsername;
    @PropertyInject(value = "kafka.sasl.password", defaultValue = " ") String kafkaSaslPassword;
    @PropertyInject(value = "kafka.tls.caFile", defaultValue = " ") String kafkaTlsCaFile;
    @PropertyInject(value = "kafka.topics.partitions", defaultValue = " ") String kafkaTopicsPartitions;
    @PropertyInject(value = "kafka.topics.replicationFactor", defaultValue = " ") String kafkaTopicsReplicationFactor;

    @PropertyInject("mqtt.broker.host") String mqttHost;
    @PropertyInject("mqtt.broker.port") int mqttPort;
    @PropertyInject("mqtt.username") String mqttUsername;
    @PropertyInject("mqtt.password") String mqttPassword;
    @PropertyInject("mqtt.clientId") String mqttClientId;
    @PropertyInject(value = "gridwire.instance-id", defaultValue = " ") String instanceId;
    @PropertyInject(value = "mqtt.shared-group", defaultValue = " ") String mqttSharedGroup;
    @PropertyInject("mqtt.sharedSessionExpirySeconds") int mqttSharedSessionExpirySeconds;
    @PropertyInject("mqtt.drainQuietMs") long mqttDrainQuietMs;
    @PropertyInject("mqtt.sessionExpirySeconds") int mqttSessionExpirySeconds;
    @PropertyInject("mqtt.receiveMaximum") int mqttReceiveMaximum;
    @PropertyInject("mqtt.keepAliveSeconds") int mqttKeepAliveSeconds;
    @PropertyInject("mqtt.connectTimeoutSeconds") int mqttConnectTimeoutSeconds;
    @PropertyInject("mqtt.connectRetrySeconds") int mqttConnectRetrySeconds;
    @PropertyInject("mqtt.maxPayloadBytes") int maxPayloadBytes;
    @PropertyInject("mqtt.tls.enabled") boolean mqttTlsEnabled;
    @PropertyInject(value = "mqtt.tls.caFile", defaultValue = " ") String mqttTlsCaFile;
    @PropertyInject(value = "mqtt.tls.certFile", defaultValue = " ") String mqttTlsCertFile;
    @PropertyInject(value = "mqtt.tls.keyFile", defaultValue = " ") String mqttTlsKeyFile;
    @PropertyInject("mqtt.tls.verifyHostname") boolean mqttTlsVerifyHostname;

    @PropertyInject("gridwire.mode") String mode;
    @PropertyInject("kafkaFirst.topicPrefix") String kafkaFirstTopicPrefix;
    @PropertyInject("kafkaFirst.groupPrefix") String kafkaFirstGroupPrefix;
    @PropertyInject("kafkaFirst.retentionMs") long kafkaFirstRetentionMs;
    @PropertyInject("kafkaFirst.sendTimeoutMs") long kafkaFirstSendTimeoutMs;

    @PropertyInject("cluster.service") String clusterService;
    @PropertyInject("cluster.checkIntervalMs") long clusterCheckIntervalMs;
    @PropertyInject(value = "cluster.kubernetes.namespace", defaultValue = " ") String clusterKubernetesNamespace;
    @PropertyInject("cluster.kubernetes.leaseDurationMs") long clusterLeaseDurationMs;
    @PropertyInject("cluster.kubernetes.podLabels") String clusterKubernetesPodLabels;

    @PropertyInject("timestamps.earliest") String timestampsEarliest;
    @PropertyInject("timestamps.maxFutureSkew") String timestampsMaxFutureSkew;

    @PropertyInject("delivery.retry.initialDelayMs") long retryInitialDelayMs;
    @PropertyInject("delivery.retry.maxDelayMs") long retryMaxDelayMs;
    @PropertyInject("ingest.batch.depth") int batchDepth;
    @PropertyInject("ingest.isolateAfterAttempts") int isolateAfterAttempts;
    @PropertyInject("ingest.heldBackHealthMs") long heldBackHealthMs;
}
