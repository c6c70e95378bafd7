package io.gridwire.sites;

import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One seed 003 site message as {@link EmsParser#parse} read it from {@code sites/{siteId}/devices/{serial}/telemetry}
 * or {@code .../status}: the topic's site and serial number, the payload's timestamp and either the telemetry fields
 * (powerKw in kW, voltage in V, current in A, temperature in °C, efficiency; null when absent) or the status and its
 * reason. The sink stages fill in what needs the database: the device, and for a status the pending
 * DEVICE_STATUS_CHANGE event.
 */
public final class EmsMessage {

    /** The two message kinds of seed 003's device topics. */
    public enum Kind { TELEMETRY, STATUS }

    private final Kind kind;
    private final long siteId;
    private final String serialNumber;
    private final Instant timestamp;
    private final ObjectNode telemetry;
    private final String status;
    private final String reason;
    private EmsDevices.Device device;
    private Long eventId;
    private String eventPayload;

    private EmsMessage(Kind kind, long siteId, String serialNumber, Instant timestamp, ObjectNode telemetry, String status,
                       String reason) {
        this.kind = kind;
        this.siteId = siteId;
        this.serialNumber = serialNumber;
        this.timestamp = timestamp;
        this.telemetry = telemetry;
        this.status = status;
        this.reason = reason;
    }

    /** A telemetry message; {@code fields} holds the five seed fields, null where absent. */
    public static EmsMessage telemetry(long siteId, String serialNumber, Instant timestamp, ObjectNode fields) {
        return new EmsMessage(Kind.TELEMETRY, siteId, serialNumber, timestamp, fields, null, null);
    }

    /** A status message: one of ONLINE, OFFLINE, MAINTENANCE, ERROR; reason may be null. */
    public static EmsMessage status(long siteId, String serialNumber, Instant timestamp, String status, String reason) {
        return new EmsMessage(Kind.STATUS, siteId, serialNumber, timestamp, null, status, reason);
    }

    public Kind kind() {
        return kind;
    }

    public long siteId() {
        return siteId;
    }

    public String serialNumber() {
        return serialNumber;
    }

    public Instant timestamp() {
        return timestamp;
    }

    /** The telemetry fields (TELEMETRY only). */
    public ObjectNode telemetry() {
        return telemetry;
    }

    /** The status (STATUS only), upper case. */
    public String status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    /**
     * The id Kafka consumers can spot a redelivered record by ({@link io.gridwire.sink.KafkaRecords#messageId}): the
     * same for the same message, different for different content under the same serial number and timestamp.
     */
    public String messageId() {
        return io.gridwire.sink.KafkaRecords.messageId(serialNumber, timestamp.toString(),
                kind == Kind.TELEMETRY ? "telemetry " + telemetry : "status " + status + " " + reason);
    }

    /** The device, once the store stage resolved it; null before. */
    public EmsDevices.Device device() {
        return device;
    }

    void device(EmsDevices.Device d) {
        this.device = d;
    }

    /** The ems_status_events row still to send for this status (null: nothing to send: unchanged, stale or sent). */
    public Long eventId() {
        return eventId;
    }

    /** That event's JSON (seed 003 DEVICE_STATUS_CHANGE). */
    public String eventPayload() {
        return eventPayload;
    }

    void pendingEvent(Long id, String payload) {
        this.eventId = id;
        this.eventPayload = payload;
    }
}
