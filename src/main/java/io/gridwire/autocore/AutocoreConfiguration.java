package io.gridwire.autocore;

import io.gridwire.mqtt.DeferredConnectMqttClient;
import io.gridwire.mqtt.MqttIngestConsumer;
import io.gridwire.platform.Platform;
import io.gridwire.sink.SinkPipeline;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

/**
 * Wiring of the AutoCore family (seed 002, autocore.camel.yaml): the monitor on {@code autocore.topics} writing
 * PostgreSQL, the TSDB and the notification/alert topics, its maintenance (retention, offline check) and REST API.
 */
public class AutocoreConfiguration implements CamelConfiguration {

    @PropertyInject("autocore.unknownDevices")
    private String unknownDevices;
    @PropertyInject("autocore.averages.window")
    private int averagesWindow;
    @PropertyInject("autocore.anomaly.zScore")
    private double anomalyZScore;
    @PropertyInject("autocore.anomaly.minSamples")
    private int anomalyMinSamples;
    @PropertyInject("influx.measurement.autocore")
    private String measurement;
    @PropertyInject("kafka.topics.deviceNotifications")
    private String notificationsTopic;
    @PropertyInject("kafka.topics.deviceAlerts")
    private String alertsTopic;
    @PropertyInject("autocore.retention.days")
    private int retentionDays;
    @PropertyInject("autocore.retention.batchSize")
    private int retentionBatchSize;
    @PropertyInject("autocore.offline.afterSeconds")
    private int offlineAfterSeconds;

    @Override
    public void configure(CamelContext context) {
        if (!unknownDevices.equals("auto-register") && !unknownDevices.equals("dead-letter")) {
            throw new IllegalArgumentException("autocore.unknownDevices must be auto-register or dead-letter, got " + unknownDevices);
        }
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        platform.kafkaTopics().topic(alertsTopic, null).topic(notificationsTopic, null);
        SinkPipeline pipeline = platform.sinkPipeline("autocorePipeline", "autocore",
                "direct:autocore-store,direct:autocore-tsdb,direct:autocore-publish");
        DeferredConnectMqttClient mqtt = platform.ingestClient("autocoreMqttClient", "-autocore", "mqtt-autocore", "AutoCore",
                "autocore.topics");
        registry.bind("autocoreParser", new AutocoreParser(platform.payloads()));
        AutocoreOutbox outbox = new AutocoreOutbox(platform.dataSource(), notificationsTopic, alertsTopic);
        registry.bind("autocoreStore", new AutocoreStore(platform.dataSource(), platform.meters(),
                unknownDevices.equals("auto-register"), averagesWindow,
                new AnomalyDetector(anomalyZScore, anomalyMinSamples), outbox));
        registry.bind("autocoreTsdb", new AutocoreTsdb(platform.tsdbWriter(), measurement));
        registry.bind("autocoreOutbox", outbox);
        registry.bind("autocoreHealth", new AutocoreHealth(mqtt::isConnected,
                () -> pipeline.heldBackLongerThan(platform.heldBackHealthMs()),
                () -> platform.deadLetters().count("autocore-ingest"),
                () -> context.getRoute("autocore-ingest") != null
                      && context.getRoute("autocore-ingest").getConsumer() instanceof MqttIngestConsumer c ? c : null));
        registry.bind("autocoreMaintenance", new AutocoreMaintenance(platform.dataSource(), retentionDays, retentionBatchSize,
                offlineAfterSeconds, averagesWindow));
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/api/v1/autocore/devices");
    }
}
