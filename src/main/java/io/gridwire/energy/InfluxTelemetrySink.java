package io.gridwire.energy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.ArrayList;
import java.util.List;

import io.gridwire.sink.TsdbWriter;


import io.gridwire.energy.Reading;

/**
 * Writes a batch of readings to the InfluxDB v2 write API as line protocol, through the client's blocking API:
 * camel-influxdb2 4.17 writes asynchronously and swallows failures, which would ack messages that never landed.
 * A point is keyed by measurement, device_id tag and timestamp, so a redelivered reading overwrites itself.
 */
public class InfluxTelemetrySink {

    private static final Logger LOG = LoggerFactory.getLogger(InfluxTelemetrySink.class);

    private final TsdbWriter tsdb;
    private final String measurement;

    /** @param measurement influx.measurement.energy */
    public InfluxTelemetrySink(TsdbWriter tsdb, String measurement) {
        this.tsdb = tsdb;
        this.measurement = TsdbWriter.escape(measurement);
    }

    /**
     * Writes a batch of readings as one request (a key twice in the batch: its later reading, as in PostgreSQL).
     *
     * @throws Exception the TSDB unavailable or refusing ({@code InfluxException}; the pipeline retries or isolates)
     */
    public void write(List<Reading> readings) throws Exception {
        List<String> lines = new ArrayList<>(readings.size());
        for (Reading r : PostgresTelemetrySink.lastPerKey(readings)) {
            lines.add(line(r));
        }
        long start = System.nanoTime();
        tsdb.write(measurement, lines);
        LOG.debug("wrote {} points in {} ms", lines.size(), (System.nanoTime() - start) / 1_000_000);
    }

    /** Seed 001's reading as a point: tag device_id, fields power (kW), voltage (V), current (A), energy (kWh). */
    String line(Reading r) {
        return measurement + ",device_id=" + TsdbWriter.escape(r.deviceId())
               + " power=" + r.power() + ",voltage=" + r.voltage() + ",current=" + r.current()
               + ",energy=" + r.energy() + " " + TsdbWriter.nanos(r.timestamp());
    }
}
