package io.gridwire.energy;

import io.gridwire.platform.Platform;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

/**
 * Wiring of the energy family (seed 001 readings on {@code mqtt.topics.energyData}, routes in energy.camel.yaml):
 * its parser, its MQTT connection, and its sinks, PostgreSQL beside the TSDB, then Kafka.
 */
public class EnergyConfiguration implements CamelConfiguration {

    @PropertyInject("influx.measurement.energy")
    private String measurement;
    @PropertyInject("kafka.topics.energyReadings")
    private String kafkaTopic;

    @Override
    public void configure(CamelContext context) {
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        TelemetryReadings readings = new TelemetryReadings(platform.maxPayloadBytes());
        registry.bind("telemetryReadings", readings);
        registry.bind("postgresTelemetrySink", new PostgresTelemetrySink(platform.dataSource(), platform.meters()));
        registry.bind("influxTelemetrySink", new InfluxTelemetrySink(platform.tsdbWriter(), measurement));
        registry.bind("energyKafkaRecords", new EnergyKafkaRecords(context, readings));
        platform.kafkaTopics().topic(kafkaTopic, null);
        platform.sinkPipeline("energyTelemetryPipeline", "energy-telemetry",
                "direct:energy-telemetry-store,direct:energy-telemetry-publish");
        platform.ingestClient("energyMqttClient", "-energy", "mqtt-energy", "energy readings", "mqtt.topics.energyData");
    }
}
