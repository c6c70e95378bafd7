package io.gridwire.energy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.List;

import io.gridwire.metrics.Meters;
import java.util.concurrent.TimeUnit;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;

import io.gridwire.energy.Reading;

/**
 * Writes a batch of readings to the InfluxDB v2 write API as line protocol, through the client's blocking API:
 * camel-influxdb2 4.17 writes asynchronously and swallows failures, which would ack messages that never landed.
 * A point is keyed by measurement, device_id tag and timestamp, so a redelivered reading overwrites itself.
 */
public class InfluxTelemetrySink {

    private static final Logger LOG = LoggerFactory.getLogger(InfluxTelemetrySink.class);

    private final WriteApiBlocking writeApi;
    private final String bucket;
    private final String org;
    private final String measurement;

    private final Meters meters;

    public InfluxTelemetrySink(InfluxDBClient client, String bucket, String org, String measurement, Meters meters) {
        this.meters = meters;
        this.writeApi = client.getWriteApiBlocking();
        this.bucket = bucket;
        this.org = org;
        this.measurement = escapeKey(measurement);
    }

    public void write(List<Reading> readings) throws Exception {
        List<String> lines = new ArrayList<>(readings.size());
        // a key twice in the batch: its later reading, as in PostgreSQL
        for (Reading r : PostgresTelemetrySink.lastPerKey(readings)) {
            lines.add(line(r));
        }
        long start = System.nanoTime();
        meters.sinkWrite("influxdb:" + measurement, lines.size(), () -> {
            writeApi.writeRecords(bucket, org, WritePrecision.NS, lines);
            return null;
        });
        LOG.debug("wrote {} points in {} ms", lines.size(), (System.nanoTime() - start) / 1_000_000);
    }

    String line(Reading r) {
        long nanos = TimeUnit.SECONDS.toNanos(r.timestamp().getEpochSecond()) + r.timestamp().getNano();
        return measurement + ",device_id=" + escapeKey(r.deviceId())
               + " power=" + r.power() + ",voltage=" + r.voltage() + ",current=" + r.current()
               + ",energy=" + r.energy() + " " + nanos;
    }

    /** Line-protocol escaping for measurement names, tag keys and tag values. */
    static String escapeKey(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
    }
}
