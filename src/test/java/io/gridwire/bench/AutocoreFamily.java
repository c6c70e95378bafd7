package io.gridwire.bench;

import java.util.List;
import java.util.Map;

import io.gridwire.support.Sinks;

/**
 * Seed 002 telemetry ({prefix}/{device}/telemetry): per message one PostgreSQL transaction (autocore.telemetry, key
 * device_id, ts, plus the device's last_seen and the moving-average check), then a single-point TSDB write
 * (autocore_telemetry); Kafka device-alerts only on an anomaly, which mqttload's values never raise. Devices register
 * themselves with their first message (autocore.unknownDevices=auto-register, the default): the warm-up does that.
 * The commit clock is the row's received_at (now() of its transaction; the commit and the TSDB write follow within ms).
 */
final class AutocoreFamily extends Family {

    private final List<Sink> sinks;

    AutocoreFamily(String run) {
        super("autocore", run);
        sinks = List.of(new Sink.Postgres("autocore.telemetry", "device_id", "ts", "received_at"),
                new Sink.Tsdb("autocore_telemetry", devicePrefix));
    }

    /** autocore.prefix under this run's root. */
    private String prefix() {
        return Topics.underRoot(Topics.setting("autocore.prefix"), run);
    }

    @Override
    String topic() {
        return prefix() + "/%s/telemetry";
    }

    @Override
    Map<String, String> gridwireEnv() {
        return Map.of("AUTOCORE_PREFIX", prefix());
    }

    @Override
    String subscriptionRoot() {
        return prefix() + "/";
    }

    @Override
    int subscriptionCount() {
        return Topics.setting("autocore.topics").split(",").length;
    }

    @Override
    void cleanUp(String runPattern) {
        // gridwire's offline check would otherwise report each of them offline five minutes later
        Sinks.rows("DELETE FROM autocore.devices WHERE device_id LIKE ? RETURNING device_id", runPattern);
    }

    @Override
    List<Sink> sinks() {
        return sinks;
    }

    @Override
    String clockNote() {
        return "now() at the start of the message's transaction; its statements and commit, the TSDB write and the MQTT ack follow";
    }

    @Override
    String ingestRoute() {
        return "autocore-ingest";
    }
}
