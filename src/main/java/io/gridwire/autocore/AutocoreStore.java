package io.gridwire.autocore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.gridwire.message.InvalidMessageException;
import io.gridwire.metrics.Meters;
import io.gridwire.sink.SinkPipeline;
import io.gridwire.sink.Transactions;
import org.apache.camel.Exchange;

/**
 * Seed 002's MQTT monitor, the PostgreSQL stage of the {@code autocore-ingest} route (bean {@code autocoreStore}):
 * applies status, telemetry, relay, display and system messages to schema autocore. It is the first of three
 * pipelined sink stages: PostgreSQL (one transaction per batch, messages applied in order), then the TSDB
 * ({@link AutocoreTsdb}: what PostgreSQL committed), then Kafka ({@link AutocoreOutbox}: the alerts and notifications
 * still unsent). A batch is acked once all three committed. Every write is keyed by device and timestamp, so a
 * redelivery changes nothing; a message older than the stored state never overwrites it.
 */
public class AutocoreStore {

    private final DataSource dataSource;
    private final Meters meters;
    private final AutocoreDevices devices;
    private final AutocoreTelemetry telemetry;
    private final AutocoreRelays relays = new AutocoreRelays();
    private final AutocoreOutbox outbox;

    /**
     * @param autoRegister   autocore.unknownDevices=auto-register (else dead-letter)
     * @param averagesWindow readings in the anomaly check's moving window (autocore.averages.window)
     * @param outbox         gives each message the Kafka records it owes
     */
    public AutocoreStore(DataSource dataSource, Meters meters, boolean autoRegister, int averagesWindow,
                         AnomalyDetector detector, AutocoreOutbox outbox) {
        this.dataSource = dataSource;
        this.meters = meters;
        this.devices = new AutocoreDevices(autoRegister);
        this.telemetry = new AutocoreTelemetry(averagesWindow, detector);
        this.outbox = outbox;
    }

    /**
     * Applies a batch to PostgreSQL in one transaction, message by message in order (device state, telemetry with
     * its anomaly check, relay state and history, display and system logs); then gives each message the alerts and
     * notifications not yet on Kafka (from this batch or an earlier attempt). An unknown device with
     * autocore.unknownDevices=dead-letter makes that message a dead letter; the others go on.
     *
     * @param batch    the batch as {@link AutocoreParser} read it
     * @param exchange the stage's exchange, where refused messages are recorded ({@link SinkPipeline#reject})
     * @throws SQLException PostgreSQL unavailable or refusing (the pipeline retries, or halves the batch)
     */
    public void store(List<AutocoreMessage> batch, Exchange exchange) throws SQLException {
        long start = System.nanoTime();
        Transactions.run(dataSource, c -> {
            // devices already locked and marked seen (online) in this transaction
            Set<String> seen = new HashSet<>();
            // moving-average windows of the batch's devices
            Map<String, AutocoreTelemetry.Window> windows = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                AutocoreMessage m = batch.get(i);
                m.records.clear();
                try {
                    switch (m.kind) {
                        case STATUS -> {
                            devices.applyStatus(c, m);
                            seen.remove(m.deviceId);
                        }
                        case TELEMETRY -> {
                            devices.seenOnce(c, m, seen, "telemetry");
                            telemetry.apply(c, m, windows);
                        }
                        case RELAY -> {
                            devices.seenOnce(c, m, seen, "relay");
                            relays.apply(c, m);
                        }
                        case DISPLAY -> log(c, m, seen, "INSERT INTO autocore.display_interactions (device_id, ts, payload) "
                                                        + "VALUES (?, ?, ?::jsonb) ON CONFLICT DO NOTHING");
                        case SYSTEM -> log(c, m, seen, "INSERT INTO autocore.system_messages (device_id, ts, payload, subtopic) "
                                                       + "VALUES (?, ?, ?::jsonb, ?) ON CONFLICT DO NOTHING");
                    }
                } catch (InvalidMessageException e) {
                    // thrown before the message wrote anything (unknown device): the rest of the batch goes on
                    SinkPipeline.reject(exchange, i, e);
                }
            }
            outbox.collect(c, batch);
        });
        meters.time("gridwire_db_write", System.nanoTime() - start, "family", "autocore");
    }

    private void log(Connection c, AutocoreMessage m, Set<String> seen, String sql)
            throws SQLException, InvalidMessageException {
        devices.seenOnce(c, m, seen, m.kind.name().toLowerCase(Locale.ROOT));
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, m.deviceId);
            st.setTimestamp(2, Timestamp.from(m.timestamp));
            st.setString(3, m.json);
            if (m.subtopic != null) {
                st.setString(4, m.subtopic);
            }
            st.executeUpdate();
        }
    }
}
