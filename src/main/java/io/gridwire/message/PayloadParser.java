package io.gridwire.message;

import io.gridwire.mqtt.TopicPattern;

import java.util.Map;

import io.gridwire.message.InvalidMessageException;

/**
 * A family's reading of one MQTT message, called on the MQTT client's thread for every message of an
 * {@code mqtt-ingest} route: it must be quick and must not block.
 */
public interface PayloadParser {

    /**
     * @param topic   the topic it arrived on
     * @param payload the payload as it arrived
     * @param levels  the topic levels the route's subscription names ({@link TopicPattern}), e.g. deviceId
     * @return the message as the family's sinks take it
     * @throws InvalidMessageException with the dead letter's reason when the message is not valid
     */
    Object parse(String topic, byte[] payload, Map<String, Object> levels) throws InvalidMessageException;
}
