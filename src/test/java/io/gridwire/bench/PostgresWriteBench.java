package io.gridwire.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.postgresql.PGConnection;

import io.gridwire.support.Sinks;

/**
 * bench/run.sh postgres [readings, default 100 000] [batch, default 1 000]: how fast PostgreSQL takes a batch of seed
 * 001 readings into device_readings, keeping the idempotency rule (a reading already stored is left alone), two ways:
 * <ul>
 * <li>{@code insert}: what PostgresTelemetrySink does — one INSERT ... ON CONFLICT DO NOTHING per reading, sent as a
 * JDBC batch that pgjdbc rewrites into multi-row INSERTs (reWriteBatchedInserts=true);</li>
 * <li>{@code copy}: COPY ... FROM STDIN (FORMAT binary) into a temporary staging table, then one
 * INSERT ... SELECT ... ON CONFLICT DO NOTHING.</li>
 * </ul>
 * Each batch is its own transaction, like the sink stage. Three rounds each, alternating, on device ids of their own
 * (deleted afterwards); prints rows/s per round and the median.
 */
public final class PostgresWriteBench {

    private static final String INSERT = """
            INSERT INTO device_readings (device_id, "timestamp", power, voltage, current, energy, status, enabled)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, "timestamp") DO NOTHING""";
    /** PostgreSQL's epoch for binary timestamps: 2000-01-01T00:00:00Z, in microseconds since 1970. */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    private record Reading(String deviceId, Instant ts, double power, double voltage, double current, double energy) {
    }

    private PostgresWriteBench() {
    }

    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        String run = "pgbench-" + Long.toString(System.nanoTime(), 36);
        Properties props = new Properties();
        props.setProperty("user", Sinks.env("DB_USER", "gridwire"));
        props.setProperty("password", Sinks.env("DB_PASSWORD", "gridwire"));
        props.setProperty("reWriteBatchedInserts", "true");
        String url = Sinks.env("DB_URL", "jdbc:postgresql://localhost:5432/gridwire");
        System.out.printf(Locale.ROOT, "PostgreSQL write bench %s: %d readings over 100 devices in batches of %d, a transaction each%n",
                run, total, batch);
        double[][] rates = new double[2][3];
        try (Connection c = DriverManager.getConnection(url, props)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE IF NOT EXISTS staging_readings (device_id text, \"timestamp\" timestamptz, "
                           + "power float8, voltage float8, current float8, energy float8, status text, enabled boolean) "
                           + "ON COMMIT DELETE ROWS");
            }
            c.commit();
            for (int round = 0; round < 3; round++) {
                for (int way = 0; way < 2; way++) {
                    List<Reading> readings = readings(run + "-" + round + "-" + way, total);
                    long start = System.nanoTime();
                    write(c, readings, batch, way == 0);
                    double secs = (System.nanoTime() - start) / 1e9;
                    rates[way][round] = total / secs;
                    // a second pass of the same readings: every one already there (a redelivery), nothing may change
                    long before = count(c, run + "-" + round + "-" + way);
                    write(c, readings, batch, way == 0);
                    long after = count(c, run + "-" + round + "-" + way);
                    System.out.printf(Locale.ROOT, "round %d %-6s %8.0f rows/s (%.2f s)%s%n", round + 1, way == 0 ? "insert" : "copy",
                            rates[way][round], secs, before == total && after == total ? "" : "  ROWS " + before + "/" + after);
                }
            }
            try (PreparedStatement st = c.prepareStatement("DELETE FROM device_readings WHERE device_id LIKE ?")) {
                st.setString(1, run + "-%");
                st.executeUpdate();
            }
            c.commit();
        }
        for (int way = 0; way < 2; way++) {
            double[] r = rates[way].clone();
            Arrays.sort(r);
            System.out.printf(Locale.ROOT, "%-6s median %8.0f rows/s (range %.0f-%.0f)%n", way == 0 ? "insert" : "copy", r[1], r[0], r[2]);
        }
    }

    /** All readings in batches, a transaction each, by INSERT or by COPY. */
    private static void write(Connection c, List<Reading> readings, int batch, boolean insert) throws SQLException, IOException {
        for (int i = 0; i < readings.size(); i += batch) {
            List<Reading> b = readings.subList(i, Math.min(readings.size(), i + batch));
            if (insert) {
                insert(c, b);
            } else {
                copy(c, b);
            }
            c.commit();
        }
    }

    private static List<Reading> readings(String prefix, int n) {
        List<Reading> out = new ArrayList<>(n);
        Instant t0 = Instant.now().minus(Duration.ofDays(1));
        for (int i = 0; i < n; i++) {
            out.add(new Reading(prefix + "-" + (i % 100), t0.plusMillis(i), 10 + i % 7, 230, 0.05, i * 0.001));
        }
        return out;
    }

    private static void insert(Connection c, List<Reading> batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (Reading r : batch) {
                ps.setString(1, r.deviceId());
                ps.setTimestamp(2, Timestamp.from(r.ts()));
                ps.setDouble(3, r.power());
                ps.setDouble(4, r.voltage());
                ps.setDouble(5, r.current());
                ps.setDouble(6, r.energy());
                ps.setString(7, null);
                ps.setNull(8, java.sql.Types.BOOLEAN);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void copy(Connection c, List<Reading> batch) throws SQLException, IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(batch.size() * 80);
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeInt(0); // flags
        out.writeInt(0); // header extension
        for (Reading r : batch) {
            out.writeShort(8);
            byte[] id = r.deviceId().getBytes(StandardCharsets.UTF_8);
            out.writeInt(id.length);
            out.write(id);
            out.writeInt(8);
            out.writeLong(r.ts().getEpochSecond() * 1_000_000L + r.ts().getNano() / 1_000 - PG_EPOCH_MICROS);
            for (double d : new double[] {r.power(), r.voltage(), r.current(), r.energy()}) {
                out.writeInt(8);
                out.writeDouble(d);
            }
            out.writeInt(-1); // status null
            out.writeInt(-1); // enabled null
        }
        out.writeShort(-1);
        out.flush();
        c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY staging_readings FROM STDIN (FORMAT binary)",
                new java.io.ByteArrayInputStream(bytes.toByteArray()));
        try (Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO device_readings (device_id, \"timestamp\", power, voltage, current, energy, status, "
                             + "enabled) SELECT * FROM staging_readings ON CONFLICT (device_id, \"timestamp\") DO NOTHING");
        }
    }

    private static long count(Connection c, String prefix) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT count(*) FROM device_readings WHERE device_id LIKE ?")) {
            st.setString(1, prefix + "-%");
            try (var rs = st.executeQuery()) {
                rs.next();
                long n = rs.getLong(1);
                c.commit();
                return n;
            }
        }
    }
}
