package io.gridwire.simulator;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.cluster.Leadership;
import io.gridwire.api.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 001's device simulator (bean {@code mockDeviceSimulation}): one tick produces a reading for every enabled,
 * online device (the timer route publishes them in one batch), simulates failures at the configured rate and
 * recovers them. Randomness comes from a seed, so a run is reproducible. Also makes the devices' status messages.
 */
public class MockDeviceSimulation {

    private static final Logger LOG = LoggerFactory.getLogger(MockDeviceSimulation.class);

    /** Settings of the simulation: topics with {deviceId}, intervals and durations in ms, failure rate per reading. */
    public record Settings(long seed, String dataTopic, String statusTopic, long intervalMs, double failureRate,
                           long failureDurationMs, boolean running) {
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final MockDevices fleet;
    private final MockDeviceStore store;
    private final Publisher publisher;
    private final Settings settings;
    private final Random random;
    private final LongSupplier clock;

    private volatile boolean running;
    private volatile long startedAtMs;
    private volatile long lastTickMs;
    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong readings = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile long lastPersistWarningMs;
    /** The fleet signature ({@link MockDeviceStore#shared}) last followed; null: follow at the next round. */
    private volatile String fleetSeen;
    /** Who runs the rounds; null: this instance alone. */
    private volatile Leadership leadership;
    private volatile long copiedAtMs;
    /** Set when this instance became leader: its next round first takes the fleet over from PostgreSQL. */
    private volatile boolean takeOverPending;

    /** @param clock epoch ms */
    public MockDeviceSimulation(MockDevices fleet, MockDeviceStore store, Publisher publisher, Settings settings,
                                LongSupplier clock) {
        this.fleet = fleet;
        this.store = store;
        this.publisher = publisher;
        this.settings = settings;
        this.random = new Random(settings.seed());
        this.clock = clock;
        this.running = settings.running();
    }

    /**
     * Loads the fleet from the database ({@link MockDevices#load}); a running simulation counts as started now.
     *
     * @return how many devices were loaded
     * @throws SQLException PostgreSQL unavailable
     */
    public int load() throws SQLException {
        synchronized (fleet) {
            int n = fleet.load();
            if (running) {
                startedAtMs = clock.getAsLong();
            }
            return n;
        }
    }

    /**
     * One round: readings of every producing device (seed 001's data message: power kW, voltage V, current A,
     * energy kWh), failures started and ended (status messages); empty while stopped.
     *
     * @throws JsonProcessingException a message cannot be written as JSON
     */
    public List<Publication> tick() throws JsonProcessingException {
        if (takeOverPending) {
            takeOverPending = false;
            takeOver();
        }
        followShared();
        if (!running) {
            return List.of();
        }
        long now = clock.getAsLong();
        List<Publication> out = new ArrayList<>();
        List<MockDevice> produced = new ArrayList<>();
        synchronized (fleet) {
            for (MockDevice d : fleet.devices.values()) {
                if (d.failure != null && now >= d.failureUntilMs) {
                    d.failure = null;
                    d.pause();
                    out.add(statusOf(d, now, "recovered from simulated failure"));
                }
                if (!d.producing()) {
                    continue;
                }
                if (settings.failureRate() > 0 && random.nextDouble() < settings.failureRate()) {
                    startFailure(d, random.nextBoolean() ? MockDevice.OFFLINE : MockDevice.ERROR, settings.failureDurationMs(), now);
                    out.add(statusOf(d, now, "simulated failure (" + d.failure + ")"));
                    continue;
                }
                out.add(dataOf(d, now));
                produced.add(d);
            }
        }
        // energy first, then the readings: a restart never goes back behind an energy figure already sent
        persistEnergy(produced, now);
        lastTickMs = now;
        ticks.incrementAndGet();
        readings.addAndGet(produced.size());
        return out;
    }

    /**
     * Sends one reading of the device now, outside the timer; the device must be enabled and online.
     *
     * @return the reading sent (power kW, voltage V, current A, energy kWh)
     * @throws ApiException 404 for an unknown device, 409 for one that sends no readings, 503 if the broker refused it
     */
    public Map<String, Object> simulate(String id) throws JsonProcessingException {
        Publication data;
        Map<String, Object> reading;
        long now = clock.getAsLong();
        MockDevice d;
        synchronized (fleet) {
            d = fleet.find(id);
            if (!d.producing()) {
                throw ApiException.conflict("mock device '" + id + "' is " + (d.enabled ? d.status() : "turned off")
                                            + " and sends no readings");
            }
            data = dataOf(d, now);
            reading = d.lastReading;
        }
        persistEnergy(List.of(d), now);
        if (publisher.publish(List.of(data)) != 1) {
            throw new ApiException(503, "the MQTT broker did not accept the reading");
        }
        readings.incrementAndGet();
        return reading;
    }

    /**
     * Starts the ticks producing readings, on every instance (stored for the leader, which runs the rounds); returns
     * {@link #status}.
     */
    public Map<String, Object> start() {
        switchTo(true, "");
        store(true);
        return status();
    }

    /** Stops the ticks (no energy accrues while stopped), on every instance; returns {@link #status}. */
    public Map<String, Object> stop() {
        switchTo(false, "");
        store(false);
        return status();
    }

    private void switchTo(boolean run, String how) {
        if (run && !running) {
            running = true;
            startedAtMs = clock.getAsLong();
            LOG.info("Simulation started{}", how);
        } else if (!run && running) {
            running = false;
            synchronized (fleet) {
                fleet.devices.values().forEach(MockDevice::pause);
            }
            LOG.info("Simulation stopped{}", how);
        }
    }

    private void store(boolean run) {
        try {
            store.saveRunning(run);
        } catch (SQLException e) {
            LOG.warn("Cannot store that the simulation {} ({}); other instances do not follow", run ? "runs" : "is stopped",
                    e.getMessage());
        }
    }

    /**
     * Stores {@code simulator.enabled} as the simulation's state when this instance starts (the last instance started
     * sets it, as one instance's restart always did).
     *
     * @throws SQLException PostgreSQL unavailable
     */
    public void storeInitialState() throws SQLException {
        store.saveRunning(settings.running());
    }

    /**
     * Shares the simulation between instances: the leader runs the rounds (route simulator-tick is master:), and takes
     * the fleet over from PostgreSQL at its first round as leader; followers keep a copy for the API.
     */
    public void setLeadership(Leadership leadership) {
        this.leadership = leadership;
        leadership.onChange(leading -> {
            if (leading) {
                takeOverPending = true;
            }
        });
    }

    /** Whether this instance runs the rounds (always, without a leadership). */
    public boolean leads() {
        Leadership l = leadership;
        return l == null || l.isLeader();
    }

    /** The instance running the rounds, for answers that send a caller there; null when unknown. */
    public String leaderId() {
        Leadership l = leadership;
        return l == null ? null : l.leaderId();
    }

    /**
     * This instance became the leader: the fleet as the previous leader left it (energy as stored at its last round,
     * or this copy's if higher), then whatever other instances changed.
     */
    private void takeOver() {
        try {
            int n = load();
            fleetSeen = null;
            LOG.info("Simulation taken over as leader: {} mock devices", n);
        } catch (SQLException e) {
            LOG.warn("Simulation taken over as leader without reloading the fleet ({}); rounds go on with this copy", e.getMessage());
        }
    }

    /**
     * On a follower, before an API call: its copy of the fleet reloaded from PostgreSQL (energy as of the leader's last
     * round) at most once a second, or always before a change ({@code beforeChange}), so the change starts from what is
     * stored; nothing on the leader, whose fleet is the simulation itself.
     */
    public void refreshCopy(boolean beforeChange) {
        long now = clock.getAsLong();
        if (leads() || !beforeChange && now - copiedAtMs < 1000) {
            return;
        }
        copiedAtMs = now;
        try {
            load();
            MockDeviceStore.Shared shared = store.shared();
            if (shared.running() != null) {
                switchTo(shared.running(), " (as stored by another instance)");
            }
        } catch (SQLException e) {
            LOG.debug("follower's copy of the fleet not refreshed: {}", e.getMessage());
        }
    }

    /** The leader, at each round: follows the running state and device changes other instances stored. */
    private void followShared() {
        try {
            MockDeviceStore.Shared shared = store.shared();
            if (shared.running() != null) {
                switchTo(shared.running(), " (as stored by another instance)");
            }
            if (!shared.fleetVersion().equals(fleetSeen)) {
                int n = fleet.follow();
                if (n > 0 && fleetSeen != null) {
                    LOG.info("Simulation: took {} mock device changes stored through other instances", n);
                }
                fleetSeen = shared.fleetVersion();
            }
        } catch (SQLException e) {
            LOG.debug("changes of other instances not followed this round: {}", e.getMessage());
        }
    }

    /** Whether the ticks produce readings. */
    public boolean running() {
        return running;
    }

    /** The simulation's figures: interval_ms, device counts, failure_rate, ticks, readings, ISO-8601 times. */
    public Map<String, Object> status() {
        synchronized (fleet) {
            int producing = 0;
            int failed = 0;
            for (MockDevice d : fleet.devices.values()) {
                producing += d.producing() ? 1 : 0;
                failed += d.failure != null ? 1 : 0;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("running", running);
            m.put("interval_ms", settings.intervalMs());
            m.put("devices", fleet.devices.size());
            m.put("producing_devices", producing);
            m.put("failed_devices", failed);
            m.put("failure_rate", settings.failureRate());
            m.put("ticks", ticks.get());
            m.put("readings_generated", readings.get());
            m.put("simulated_failures", failures.get());
            m.put("started_at", running && startedAtMs > 0 ? Instant.ofEpochMilli(startedAtMs).toString() : null);
            m.put("last_tick_at", lastTickMs > 0 ? Instant.ofEpochMilli(lastTickMs).toString() : null);
            return m;
        }
    }

    /** A simulated failure (OFFLINE or ERROR) of the device for {@code durationMs}; the caller holds the fleet's lock. */
    void startFailure(MockDevice d, String kind, long durationMs, long now) {
        d.failure = kind;
        d.failureUntilMs = now + durationMs;
        d.pause();
        failures.incrementAndGet();
    }

    /** How long a simulated failure lasts unless a command says otherwise (ms). */
    long failureDurationMs() {
        return settings.failureDurationMs();
    }

    /** The device's seed 001 status message now, on its status topic; the caller holds the fleet's lock. */
    Publication statusOf(MockDevice d, long now, String reason) throws JsonProcessingException {
        return new Publication(topic(settings.statusTopic(), d.id), mapper.writeValueAsString(d.statusMessage(now, reason)));
    }

    private Publication dataOf(MockDevice d, long now) throws JsonProcessingException {
        return new Publication(topic(settings.dataTopic(), d.id), mapper.writeValueAsString(d.read(now, random)));
    }

    private void persistEnergy(List<MockDevice> produced, long now) {
        try {
            store.saveEnergy(produced, now);
        } catch (SQLException e) {
            if (now - lastPersistWarningMs > 60_000) {
                lastPersistWarningMs = now;
                LOG.warn("Cannot store mock device energy ({}); readings still go out, energy is stored again once "
                         + "PostgreSQL answers", e.getMessage());
            }
        }
    }

    private static String topic(String template, String id) {
        return template.replace("{deviceId}", id);
    }
}
