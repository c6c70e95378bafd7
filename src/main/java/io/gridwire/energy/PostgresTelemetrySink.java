package io.gridwire.energy;

import io.gridwire.sink.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.gridwire.metrics.Meters;

import javax.sql.DataSource;

import io.gridwire.energy.Reading;

/**
 * Writes a batch of readings to PostgreSQL in one transaction: every reading into device_readings, keyed by device
 * and timestamp (a redelivery changes nothing; a different reading under the same key replaces the stored one: the
 * later arrival wins, as in the TSDB) and the newest reading per device into device_current_state (never replacing a
 * newer one; for equal timestamps the later arrival wins).
 */
public class PostgresTelemetrySink {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresTelemetrySink.class);

    private static final String UPSERT_READING = """
            INSERT INTO device_readings (device_id, "timestamp", power, voltage, current, energy, status, enabled)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (device_id, "timestamp") DO UPDATE SET
                power = EXCLUDED.power, voltage = EXCLUDED.voltage, current = EXCLUDED.current, energy = EXCLUDED.energy,
                status = EXCLUDED.status, enabled = EXCLUDED.enabled
            WHERE (device_readings.power, device_readings.voltage, device_readings.current, device_readings.energy,
                   device_readings.status, device_readings.enabled)
                  IS DISTINCT FROM (EXCLUDED.power, EXCLUDED.voltage, EXCLUDED.current, EXCLUDED.energy,
                                    EXCLUDED.status, EXCLUDED.enabled)""";

    private static final String UPSERT_STATE = """
            INSERT INTO device_current_state AS s
                (device_id, "timestamp", power, voltage, current, energy, status, enabled, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())
            ON CONFLICT (device_id) DO UPDATE SET
                "timestamp" = EXCLUDED."timestamp", power = EXCLUDED.power, voltage = EXCLUDED.voltage,
                current = EXCLUDED.current, energy = EXCLUDED.energy,
                status = COALESCE(EXCLUDED.status, s.status), enabled = COALESCE(EXCLUDED.enabled, s.enabled),
                updated_at = now()
            WHERE s."timestamp" <= EXCLUDED."timestamp\"""";

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
            // equal timestamps: the later arrival wins
            newest.merge(r.deviceId(), r, (a, b) -> b.timestamp().isBefore(a.timestamp()) ? a : b);
        }
        // one multi-row upsert may not touch a row twice: a key twice in the batch keeps its later reading
        List<Reading> rows = lastPerKey(readings);
        Transactions.run(dataSource, c -> {
            try (PreparedStatement history = c.prepareStatement(UPSERT_READING);
                 PreparedStatement state = c.prepareStatement(UPSERT_STATE)) {
                for (Reading r : rows) {
                    bind(history, r);
                    history.addBatch();
                }
                history.executeBatch();
                for (Reading r : newest.values()) {
                    bind(state, r);
                    state.addBatch();
                }
                state.executeBatch();
            }
        });
        LOG.debug("committed {} readings in {} ms", readings.size(), (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * The readings with each device-and-timestamp key once, the later arrival of a key kept, in batch order (the
     * usual batch has no key twice and is returned as it is).
     */
    static List<Reading> lastPerKey(List<Reading> readings) {
        java.util.Set<Key> keys = new java.util.HashSet<>(readings.size() * 2);
        boolean twice = false;
        for (Reading r : readings) {
            twice |= !keys.add(new Key(r.deviceId(), r.timestamp()));
        }
        if (!twice) {
            return readings;
        }
        Map<Key, Reading> byKey = new LinkedHashMap<>(readings.size() * 2);
        for (Reading r : readings) {
            byKey.put(new Key(r.deviceId(), r.timestamp()), r);
        }
        return new java.util.ArrayList<>(byKey.values());
    }

    /** The key every sink stores a reading under. */
    private record Key(String deviceId, java.time.Instant timestamp) {
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
}
