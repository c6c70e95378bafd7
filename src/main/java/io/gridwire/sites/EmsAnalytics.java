package io.gridwire.sites;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.api.Http;
import io.gridwire.db.Transactions;
import io.gridwire.sink.UntilAvailable;
import io.gridwire.telemetry.InvalidMessageException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/**
 * Seed 003's "Analytics Service -> Database": per-device hourly aggregates of the device-telemetry topic (samples,
 * min/max/avg power, energy). A record already counted (ems_telemetry_seen, same transaction) is skipped, and the
 * Kafka offset is committed only after the database commit, so a redelivery never counts twice.
 */
public class EmsAnalytics {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final UntilAvailable retry;

    public EmsAnalytics(DataSource dataSource, UntilAvailable retry) {
        this.dataSource = dataSource;
        this.retry = retry;
    }

    public void apply(@Body String value, Exchange exchange) throws Exception {
        JsonNode e;
        try {
            e = JSON.readTree(value);
        } catch (JsonProcessingException ex) {
            throw new InvalidMessageException("device-telemetry record is not JSON: " + ex.getOriginalMessage());
        }
        String serial = e == null ? null : e.path("serialNumber").asText(null);
        String tsText = e == null ? null : e.path("timestamp").asText(null);
        if (serial == null || tsText == null) {
            throw new InvalidMessageException("device-telemetry record without serialNumber or timestamp");
        }
        Instant ts;
        try {
            ts = Instant.parse(tsText);
        } catch (DateTimeParseException ex) {
            throw new InvalidMessageException("device-telemetry record with a bad timestamp: " + tsText);
        }
        JsonNode power = e.path("telemetryData").path("powerKw");
        Double kw = power.isNumber() ? power.doubleValue() : null;
        retry.run(exchange.getContext(), "EMS analytics", () -> {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    count(c, serial, ts, kw);
                    c.commit();
                } catch (Exception ex) {
                    Transactions.rollback(c, ex);
                    throw ex;
                }
            }
            return null;
        });
    }

    private static void count(Connection c, String serial, Instant ts, Double kw) throws Exception {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO ems_telemetry_seen (serial_number, ts) VALUES (?, ?) "
                                                       + "ON CONFLICT DO NOTHING")) {
            st.setString(1, serial);
            st.setTimestamp(2, Timestamp.from(ts));
            if (st.executeUpdate() == 0 || kw == null) {
                return; // counted before (a redelivery), or no power to aggregate
            }
        }
        try (PreparedStatement st = c.prepareStatement(
                "INSERT INTO ems_hourly_aggregates AS a (serial_number, hour, samples, sum_power_kw, min_power_kw, max_power_kw, "
                + "first_ts, last_ts) VALUES (?, date_trunc('hour', ? AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (serial_number, hour) DO UPDATE SET samples = a.samples + 1, "
                + "sum_power_kw = a.sum_power_kw + excluded.sum_power_kw, "
                + "min_power_kw = least(a.min_power_kw, excluded.min_power_kw), "
                + "max_power_kw = greatest(a.max_power_kw, excluded.max_power_kw), "
                + "first_ts = least(a.first_ts, excluded.first_ts), last_ts = greatest(a.last_ts, excluded.last_ts)")) {
            Timestamp t = Timestamp.from(ts);
            st.setString(1, serial);
            st.setTimestamp(2, t);
            st.setDouble(3, kw);
            st.setDouble(4, kw);
            st.setDouble(5, kw);
            st.setTimestamp(6, t);
            st.setTimestamp(7, t);
            st.executeUpdate();
        }
    }

    /** Commits the record's offset (after apply committed the database transaction). */
    public void commit(Exchange exchange) {
        KafkaManualCommit manual = exchange.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (manual != null) {
            manual.commit();
        }
    }

    /** GET /api/v1/ems/devices/{serialNumber}/aggregates: hourly samples, min/max/avg power (kW) and energy (kWh). */
    public void aggregates(Exchange e) throws Exception {
        String serial = Http.path(e, "serialNumber");
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement known = c.prepareStatement("SELECT 1 FROM ems_devices WHERE serial_number = ?")) {
            known.setString(1, serial);
            try (ResultSet rs = known.executeQuery()) {
                if (!rs.next()) {
                    throw io.gridwire.api.ApiException.notFound("unknown device '" + io.gridwire.api.JsonFields.printable(
                            String.valueOf(serial)) + "'");
                }
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "SELECT hour, samples, min_power_kw, max_power_kw, sum_power_kw / samples, first_ts, last_ts, "
                     + "sum_power_kw / samples * extract(epoch FROM last_ts - first_ts) / 3600 "
                     + "FROM ems_hourly_aggregates WHERE serial_number = ? ORDER BY hour")) {
            st.setString(1, serial);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("hour", rs.getTimestamp(1).toInstant().toString());
                    m.put("samples", rs.getLong(2));
                    m.put("minPowerKw", rs.getDouble(3));
                    m.put("maxPowerKw", rs.getDouble(4));
                    m.put("avgPowerKw", rs.getDouble(5));
                    m.put("firstTimestamp", rs.getTimestamp(6).toInstant().toString());
                    m.put("lastTimestamp", rs.getTimestamp(7).toInstant().toString());
                    m.put("energyKwh", rs.getDouble(8));
                    out.add(m);
                }
            }
        }
        Http.respond(e, 200, Map.of("serialNumber", serial, "hours", out));
    }
}
