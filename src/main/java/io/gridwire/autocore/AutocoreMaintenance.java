package io.gridwire.autocore;

import io.gridwire.sink.Transactions;
import io.gridwire.message.Text;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.gridwire.api.ApiException;
import io.gridwire.api.Http;
import io.gridwire.api.JsonFields;
import io.gridwire.api.Reply;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 002's background work and queries: retention of old rows (in bounded batches), marking silent devices
 * offline, moving averages per device and field, and the REST calls over the AutoCore tables.
 */
public class AutocoreMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(AutocoreMaintenance.class);
    /** Tables with history, and their time column; retention deletes their old rows. */
    private static final String[][] HISTORY = {{"autocore.telemetry", "ts"}, {"autocore.relay_state_history", "ts"},
                                               {"autocore.connectivity_history", "ts"}, {"autocore.display_interactions", "ts"},
                                               {"autocore.system_messages", "ts"}, {"autocore.alerts", "ts"},
                                               {"autocore.notifications", "ts"}};

    private final DataSource dataSource;
    private final int retentionDays;
    private final int retentionBatch;
    private final int offlineAfterSeconds;
    private final int averagesWindow;

    public AutocoreMaintenance(DataSource dataSource, int retentionDays, int retentionBatch, int offlineAfterSeconds,
                               int averagesWindow) {
        this.dataSource = dataSource;
        this.retentionDays = retentionDays;
        this.retentionBatch = retentionBatch;
        this.offlineAfterSeconds = offlineAfterSeconds;
        this.averagesWindow = averagesWindow;
    }

    /** Deletes rows older than the retention, batch by batch (short transactions, no long locks); returns the count. */
    public long retention() throws SQLException {
        Timestamp cutoff = Timestamp.from(Instant.now().minusSeconds(retentionDays * 86_400L));
        long total = 0;
        try (Connection c = dataSource.getConnection()) {
            for (String[] t : HISTORY) {
                // table and column names are constants above; the values are bound
                String sql = "DELETE FROM " + t[0] + " WHERE ctid IN (SELECT ctid FROM " + t[0] + " WHERE " + t[1]
                             + " < ? LIMIT ?)";
                try (PreparedStatement st = c.prepareStatement(sql)) {
                    int n;
                    do {
                        st.setTimestamp(1, cutoff);
                        st.setInt(2, retentionBatch);
                        n = st.executeUpdate();
                        total += n;
                    } while (n == retentionBatch);
                }
            }
        }
        if (total > 0) {
            LOG.info("AutoCore retention: deleted {} rows older than {} days", total, retentionDays);
        }
        return total;
    }

    /** Marks devices offline that sent nothing for offlineAfterSeconds; returns how many. */
    public int markSilentDevicesOffline() throws SQLException {
        List<String> marked = new ArrayList<>();
        Transactions.run(dataSource, c -> {
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE autocore.devices SET is_online = false WHERE is_online AND last_seen < ? RETURNING device_id, "
                    + "ip_address, last_seen")) {
                st.setTimestamp(1, Timestamp.from(Instant.now().minusSeconds(offlineAfterSeconds)));
                try (ResultSet rs = st.executeQuery();
                     PreparedStatement h = c.prepareStatement(
                             "INSERT INTO autocore.connectivity_history (device_id, ts, is_online, ip_address, previous_online, "
                             + "previous_ip, reason) VALUES (?, clock_timestamp(), false, ?, true, ?, ?) ON CONFLICT DO NOTHING")) {
                    while (rs.next()) {
                        marked.add(rs.getString(1));
                        h.setString(1, rs.getString(1));
                        h.setString(2, rs.getString(2));
                        h.setString(3, rs.getString(2));
                        h.setString(4, "no message for " + offlineAfterSeconds + " s");
                        h.executeUpdate();
                    }
                }
            }
        });
        for (String id : marked) {
            LOG.info("AutoCore device {} status updated: offline (no message for {} s)", id, offlineAfterSeconds);
        }
        return marked.size();
    }

    // ---- REST --------------------------------------------------------------------------------------------------

    /**
     * GET /api/v1/autocore/devices: every AutoCore device with its status (the tables of seed 002,
     * seed 002; the REST paths are gridwire's).
     *
     * @return 200 with [{device_id, is_online, last_seen, ip_address, firmware_version, uptime, status_at}]
     * @throws SQLException PostgreSQL unavailable
     */
    public Reply listDevices() throws SQLException {
        return Reply.ok(query("SELECT device_id, is_online, last_seen, ip_address, firmware_version, uptime, status_at "
                                   + "FROM autocore.devices ORDER BY device_id"));
    }

    /**
     * GET /api/v1/autocore/devices/{id}: the device's status and its relays.
     *
     * @param id the path's device id
     * @return 200 with the device's status fields and relays [{relay_index, name, critical, current_state,
     *         triggered_by, state_at}]
     * @throws ApiException 404 for an unknown device
     */
    public Reply getDevice(@Header("id") String id) throws SQLException {
        List<Map<String, Object>> d = query("SELECT device_id, is_online, last_seen, ip_address, firmware_version, uptime, "
                                            + "status_at FROM autocore.devices WHERE device_id = ?", id);
        if (d.isEmpty()) {
            throw ApiException.notFound("unknown AutoCore device '" + Text.printable(String.valueOf(id)) + "'");
        }
        Map<String, Object> out = d.get(0);
        out.put("relays", query("SELECT relay_index, name, critical, current_state, triggered_by, state_at FROM autocore.relays "
                                + "WHERE device_id = ? ORDER BY relay_index", id));
        return Reply.ok(out);
    }

    /**
     * GET /api/v1/autocore/devices/{id}/averages: moving average, standard deviation, min and max per numeric field
     * over the device's last readings.
     *
     * @param id the path's device id
     * @return 200 with {device_id, window, fields: {name: {average, stddev, min, max, samples}}}
     * @throws ApiException 404 for an unknown device
     */
    public Reply averages(@Header("id") String id) throws SQLException {
        if (query("SELECT 1 FROM autocore.devices WHERE device_id = ?", id).isEmpty()) {
            throw ApiException.notFound("unknown AutoCore device '" + Text.printable(String.valueOf(id)) + "'");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Map<String, Object> r : query(
                "SELECT f.key AS field, avg(f.value::float8) AS average, coalesce(stddev_samp(f.value::float8), 0) AS stddev, "
                + "min(f.value::float8) AS min, max(f.value::float8) AS max, count(*) AS samples FROM "
                + "(SELECT fields FROM autocore.telemetry WHERE device_id = ? ORDER BY ts DESC LIMIT ?) t, "
                + "jsonb_each_text(t.fields) f GROUP BY f.key ORDER BY f.key", id, averagesWindow)) {
            fields.put((String) r.remove("field"), r);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("device_id", id);
        out.put("window", averagesWindow);
        out.put("fields", fields);
        return Reply.ok(out);
    }

    /**
     * PUT /api/v1/autocore/devices/{id}/relays/{index}: marks a relay critical (or not) and names it:
     * {"critical": true, "name": "..."}.
     *
     * @param id        the path's device id
     * @param indexText the path's relay index
     * @param body      the raw request body
     * @return 200 with the relay {device_id, relay_index, name, critical, current_state, state_at}
     * @throws ApiException 404 for an index that is no number or an unknown device, 400/413 for an invalid body
     */
    public Reply updateRelay(@Header("id") String id, @Header("index") String indexText, @Body String body)
            throws SQLException {
        int index;
        try {
            index = Integer.parseInt(indexText);
        } catch (NumberFormatException ex) {
            throw ApiException.notFound("relay index must be a number");
        }
        JsonFields f = new JsonFields(Http.object(body), java.util.Set.of("critical", "name"));
        Boolean critical = f.bool("critical");
        String name = f.text("name", 100, false);
        if (query("SELECT 1 FROM autocore.devices WHERE device_id = ?", id).isEmpty()) {
            throw ApiException.notFound("unknown AutoCore device '" + Text.printable(String.valueOf(id)) + "'");
        }
        return Reply.ok(query("INSERT INTO autocore.relays (device_id, relay_index, critical, name) VALUES (?, ?, "
                                   + "coalesce(?, false), ?) ON CONFLICT (device_id, relay_index) DO UPDATE SET "
                                   + "critical = coalesce(?, autocore.relays.critical), name = coalesce(?, autocore.relays.name) "
                                   + "RETURNING device_id, relay_index, name, critical, current_state, state_at",
                id, index, critical, name, critical, name).get(0));
    }

    private List<Map<String, Object>> query(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return io.gridwire.sink.Rows.of(c, sql, params);
        }
    }
}
