package io.gridwire.bench;

import java.util.List;
import java.util.Map;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * Seed 003 EMS telemetry (sites/{site}/devices/{serial}/telemetry, here under this run's root): per message one
 * DEVICE_TELEMETRY record to Kafka device-telemetry (key = serial), sent inside the circuit breaker; the ack follows
 * Kafka's. gridwire's own analytics route then consumes that topic into PostgreSQL (ems_telemetry_seen and the
 * hourly aggregates, one transaction per record), which the bench counts as the family's second sink. Serials are
 * registered through the REST API first (sites.unknownDevices stays dead-letter, the default). The commit clock is
 * the record's CreateTime; the analytics table has no time column, so the poll that sees it complete times it.
 */
final class SitesFamily extends Family {

    static final int SITE = 1;

    private final List<Sink> sinks;
    /** sites.topics under this run's root. */
    private final String filters;

    SitesFamily(String run) {
        super("sites", run);
        sinks = List.of(new Sink.Kafka("device-telemetry", devicePrefix),
                new Sink.Postgres("ems_telemetry_seen", "serial_number", "ts", null));
        filters = Topics.underRoot(Topics.setting("sites.topics"), run);
    }

    @Override
    String topic() {
        return Topics.topic(Topics.endingWith(filters, "telemetry"), String.valueOf(SITE), "%s");
    }

    @Override
    Map<String, String> gridwireEnv() {
        return Map.of("SITES_TOPICS", filters);
    }

    @Override
    String subscriptionRoot() {
        return Topics.underRoot("sites", run) + "/";
    }

    @Override
    int subscriptionCount() {
        return filters.split(",").length;
    }

    @Override
    void setUp(GridwireProcess gridwire, Api api, List<String> devices) {
        for (String serial : devices) {
            Api.Response r = api.post("/api/v1/ems/devices", "{\"serialNumber\":\"" + serial + "\",\"siteId\":" + SITE
                                                             + ",\"deviceType\":\"SOLAR_INVERTER\"}");
            if (r.status() != 201) {
                throw new IllegalStateException("registering EMS device " + serial + ": " + r);
            }
        }
    }

    @Override
    void cleanUp(String runPattern) {
        Sinks.rows("DELETE FROM ems_devices WHERE serial_number LIKE ? RETURNING serial_number", runPattern);
    }

    @Override
    List<Sink> sinks() {
        return sinks;
    }

    @Override
    String clockNote() {
        return "the record handed to Kafka's producer (ms resolution); its ack (linger 10 ms) and the MQTT ack follow";
    }

    @Override
    String ingestRoute() {
        return "sites-ingest";
    }
}
