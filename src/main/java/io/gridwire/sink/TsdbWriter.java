package io.gridwire.sink;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;
import io.gridwire.metrics.Meters;

/**
 * The one way gridwire writes the TSDB: InfluxDB v2 line protocol, a batch per request through the client's blocking
 * API (camel-influxdb2's producer is asynchronous and swallows errors), nanosecond timestamps, timed and counted as
 * sink {@code influxdb:<measurement>}. A point is keyed by measurement, tags and timestamp, so writing a redelivered
 * batch again rewrites the same points.
 */
public final class TsdbWriter {

    private final WriteApiBlocking writeApi;
    private final String bucket;
    private final String org;
    private final Meters meters;

    public TsdbWriter(InfluxDBClient client, String bucket, String org, Meters meters) {
        this.writeApi = client.getWriteApiBlocking();
        this.bucket = bucket;
        this.org = org;
        this.meters = meters;
    }

    /**
     * Writes the lines in one request; nothing when there are none.
     *
     * @param measurement the measurement the lines are points of (names the sink in the metrics)
     * @param lines       line-protocol points ({@link #escape} the names and tag values, {@link #nanos} the time)
     * @throws Exception the TSDB's failure ({@code InfluxException}: unavailable or refusing; the pipeline retries or
     *                   isolates)
     */
    public void write(String measurement, List<String> lines) throws Exception {
        if (lines.isEmpty()) {
            return;
        }
        meters.sinkWrite("influxdb:" + measurement, lines.size(), () -> {
            writeApi.writeRecords(bucket, org, WritePrecision.NS, lines);
            return null;
        });
    }

    /** Line-protocol escaping for measurement names, tag keys and tag values (backslash, comma, equals, space). */
    public static String escape(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
    }

    /** The instant in nanoseconds since the epoch, line protocol's default precision. */
    public static long nanos(Instant t) {
        return TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
    }
}
