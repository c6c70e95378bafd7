package io.gridwire.bench;

import java.util.List;
import java.util.Map;

/**
 * Seed 001 readings: one batch transaction into PostgreSQL device_readings (key device_id, timestamp) and the TSDB
 * measurement energy_readings at the same time, then Kafka energy-readings once both committed; the ack follows.
 * The commit clock is the Kafka record's CreateTime, set after both databases committed its batch.
 */
final class EnergyFamily extends Family {

    private final List<Sink> sinks;
    /** mqtt.topics.energyData under this run's root. */
    private final String filter;

    EnergyFamily(String run) {
        super("energy", run);
        sinks = List.of(new Sink.Kafka("energy-readings", devicePrefix),
                new Sink.Postgres("device_readings", "device_id", "\"timestamp\"", "received_at"),
                new Sink.Tsdb("energy_readings", devicePrefix));
        filter = Topics.underRoot(Topics.setting("mqtt.topics.energyData"), run);
    }

    @Override
    String topic() {
        return Topics.topic(filter, "%s");
    }

    @Override
    Map<String, String> gridwireEnv() {
        return Map.of("MQTT_TOPICS_ENERGYDATA", filter);
    }

    @Override
    String subscriptionRoot() {
        return Topics.underRoot("energy", run) + "/";
    }

    @Override
    List<Sink> sinks() {
        return sinks;
    }

    @Override
    String clockNote() {
        return "the record handed to Kafka's producer once PostgreSQL and the TSDB committed its batch; the Kafka ack and the MQTT ack follow";
    }

    @Override
    String ingestRoute() {
        return "energy-telemetry-ingest";
    }
}
