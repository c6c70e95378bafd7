package io.gridwire.simulator;

/** One MQTT message a mock device sends: topic and JSON payload. */
public record Publication(String topic, String payload) {
}
