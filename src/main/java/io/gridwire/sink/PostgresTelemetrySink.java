package io.gridwire.sink;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.gridwire.metrics.Meters;

import javax.sql.DataSource;

import io.gridwire.telemetry.Reading;

/**
 * Writes a batch of readings to PostgreSQL in one transaction: every reading into device_readings (a reading
 * already there is left alone, so redeliveries are no-ops) and the newest reading per device into
 * device_current_state (never replacing a newer one).
 */
public class PostgresTelemetrySink {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresTelemetrySink.class);

    private static final String INSERT_READING = """
            INSERT INTO device_readings (device_id, "timestamp", power, voltage, current, energy, status, enabled)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (device_id, "timestamp") DO NOTHING""";

    private static final String UPSERT_STATE = """
            INSERT INTO device_current_state AS s
                (device_id, "timestamp", power, voltage, current, energy, status, enabled, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())
            ON CONFLICT (device_id) DO UPDATE SET
                "timestamp" = EXCLUDED."timestamp", power = EXCLUDED.power, voltage = EXCLUDED.voltage,
                current = EXCLUDED.current, energy = EXCLUDED.energy,
                status = COALESCE(EXCLUDED.status, s.status), enabled = COALESCE(EXCLUDED.enabled, s.enabled),
                updated_at = now()
            WHERE s."timestamp" < EXCLUDED."timestamp\"""";

    private final DataSource dataSource;
    private final Meters meters;

    public PostgresTelemetrySink(DataSource dataSource, Meters meters) {
        this.dataSource = dataSource;
        this.meters = meters;
    }

    public void write(List<Reading> readings) throws Exception {
        meters.sinkWrite("postgresql:device_readings", readings.size(), () -> {
            commit(readings);
            return null;
        });
    }

    private void commit(List<Reading> readings) throws SQLException {
        long start = System.nanoTime();
        Map<String, Reading> newest = new LinkedHashMap<>();
        for (Reading r : readings) {
            newest.merge(r.deviceId(), r, (a, b) -> b.timestamp().isAfter(a.timestamp()) ? b : a);
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement history = c.prepareStatement(INSERT_READING);
                 PreparedStatement state = c.prepareStatement(UPSERT_STATE)) {
                for (Reading r : readings) {
                    bind(history, r);
                    history.addBatch();
                }
                history.executeBatch();
                for (Reading r : newest.values()) {
                    bind(state, r);
                    state.addBatch();
                }
                state.executeBatch();
                c.commit();
                LOG.debug("committed {} readings in {} ms", readings.size(), (System.nanoTime() - start) / 1_000_000);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private static void bind(PreparedStatement ps, Reading r) throws SQLException {
        ps.setString(1, r.deviceId());
        ps.setTimestamp(2, Timestamp.from(r.timestamp()));
        ps.setDouble(3, r.power());
        ps.setDouble(4, r.voltage());
        ps.setDouble(5, r.current());
        ps.setDouble(6, r.energy());
        ps.setString(7, r.status());
        if (r.enabled() == null) {
            ps.setNull(8, Types.BOOLEAN);
        } else {
            ps.setBoolean(8, r.enabled());
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }
}
