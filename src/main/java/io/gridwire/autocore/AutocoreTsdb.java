package io.gridwire.autocore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.gridwire.sink.TsdbWriter;

/**
 * The AutoCore family's TSDB stage (bean {@code autocoreTsdb}): seed 002's telemetry that PostgreSQL committed, as
 * line protocol to the InfluxDB v2 API through the shared {@link TsdbWriter}.
 */
public class AutocoreTsdb {

    private final TsdbWriter tsdb;
    private final String measurement;

    /** @param measurement influx.measurement.autocore */
    public AutocoreTsdb(TsdbWriter tsdb, String measurement) {
        this.tsdb = tsdb;
        this.measurement = measurement;
    }

    /**
     * Writes the batch's telemetry to the TSDB in one request: measurement influx.measurement.autocore, tag device_id,
     * the fields as the device sent them (merged per timestamp by the PostgreSQL stage), nanosecond timestamps (a
     * redelivery rewrites the same points).
     *
     * @param batch the batch the PostgreSQL stage committed; messages of other kinds are skipped
     * @throws Exception the TSDB unavailable or refusing ({@code InfluxException}; the pipeline retries or halves)
     */
    public void writeTsdb(List<AutocoreMessage> batch) throws Exception {
        List<String> lines = new ArrayList<>();
        for (AutocoreMessage m : batch) {
            if (m.kind == AutocoreMessage.Kind.TELEMETRY) {
                lines.add(line(m.deviceId, m.timestamp, m.fields));
            }
        }
        tsdb.write(measurement, lines);
    }

    private String line(String deviceId, Instant ts, Map<String, Double> fields) {
        StringBuilder b = new StringBuilder(TsdbWriter.escape(measurement)).append(",device_id=").append(TsdbWriter.escape(deviceId))
                .append(' ');
        boolean first = true;
        for (Map.Entry<String, Double> f : fields.entrySet()) {
            b.append(first ? "" : ",").append(f.getKey()).append('=').append(f.getValue());
            first = false;
        }
        return b.append(' ').append(TsdbWriter.nanos(ts)).toString();
    }
}
