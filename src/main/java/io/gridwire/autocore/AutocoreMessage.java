package io.gridwire.autocore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.gridwire.sink.OutboxRecord;

/**
 * One seed 002 AutoCore message as {@link AutocoreParser#parse} read it: the device id and kind from the topic, the
 * payload's timestamp, and per kind what the sinks need: status (online, IP address, firmware, uptime in s),
 * telemetry (numeric fields), relay (index, state, triggered_by), display and system (the payload JSON; system with its
 * subtopic). The PostgreSQL stage adds the Kafka records the message still owes (alerts, notifications).
 */
public final class AutocoreMessage {

    /** The topic kinds of seed 002. */
    public enum Kind { STATUS, TELEMETRY, RELAY, DISPLAY, SYSTEM }

    final Kind kind;
    final String deviceId;
    final Instant timestamp;
    // status
    boolean online;
    String ipAddress;
    String firmware;
    Long uptime;
    // telemetry
    Map<String, Double> fields;
    // relay
    int relayIndex;
    boolean relayState;
    String triggeredBy;
    // display, system
    String json;
    String subtopic;
    /** Kafka records this message still owes, filled by the PostgreSQL stage. */
    final List<OutboxRecord> records = new ArrayList<>(0);

    AutocoreMessage(Kind kind, String deviceId, Instant timestamp) {
        this.kind = kind;
        this.deviceId = deviceId;
        this.timestamp = timestamp;
    }

    public Kind kind() {
        return kind;
    }

    public String deviceId() {
        return deviceId;
    }

    public Instant timestamp() {
        return timestamp;
    }
}
