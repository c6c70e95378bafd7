package io.gridwire.autocore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.influxdb.client.WriteApiBlocking;
import com.influxdb.client.domain.WritePrecision;

/**
 * The AutoCore family's TSDB stage (bean {@code autocoreTsdb}): seed 002's telemetry that PostgreSQL committed, as
 * line protocol to the InfluxDB v2 API.
 */
public class AutocoreTsdb {

    private final WriteApiBlocking influx;
    private final String measurement;
    private final String bucket;
    private final String org;

    /** @param measurement influx.measurement.autocore */
    public AutocoreTsdb(WriteApiBlocking influx, String measurement, String bucket, String org) {
        this.influx = influx;
        this.measurement = measurement;
        this.bucket = bucket;
        this.org = org;
    }

    /**
     * Writes the batch's telemetry to the TSDB in one request: measurement influx.measurement.autocore, tag device_id,
     * the fields as the device sent them (merged per timestamp by the PostgreSQL stage), nanosecond timestamps (a
     * redelivery rewrites the same points).
     *
     * @param batch the batch the PostgreSQL stage committed; messages of other kinds are skipped
     * @throws com.influxdb.exceptions.InfluxException the TSDB unavailable or refusing (the pipeline retries or halves)
     */
    public void writeTsdb(List<AutocoreMessage> batch) {
        List<String> lines = new ArrayList<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.TELEMETRY) {
                lines.add(line(m.deviceId, m.timestamp, m.fields));
            }
        }
        if (!lines.isEmpty()) {
            influx.writeRecords(bucket, org, WritePrecision.NS, lines);
        }
    }

    private String line(String deviceId, Instant ts, Map<String, Double> fields) {
        StringBuilder b = new StringBuilder(escape(measurement)).append(",device_id=").append(escape(deviceId)).append(' ');
        boolean first = true;
        for (Map.Entry<String, Double> f : fields.entrySet()) {
            b.append(first ? "" : ",").append(f.getKey()).append('=').append(f.getValue());
            first = false;
        }
        return b.append(' ').append(TimeUnit.SECONDS.toNanos(ts.getEpochSecond()) + ts.getNano()).toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ");
    }
}
