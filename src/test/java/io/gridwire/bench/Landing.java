package io.gridwire.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A phase's messages landing in every sink of a family. await() waits on cheap signals (Kafka end offsets, one count
 * query) — the sinks in the family's order, the next only once the one before is complete — once a second, or four
 * times a second for a sink whose completion only the poll can time. read() then takes the figures from the data:
 * first publish = the earliest payload timestamp (mqttload's publish time), last commit = the latest commit clock of
 * any sink that has one, or the poll that saw a clock-less sink complete, whichever is later.
 */
public final class Landing {

    /** How long the counts may stay unchanged before the bench gives up on a phase. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final Family family;
    private final Sink.Phase phase;
    private final Map<Sink, Long> counts = new LinkedHashMap<>();
    private final Map<Sink, Long> polledComplete = new LinkedHashMap<>(); // wall-clock µs of the poll that saw it
    private final Map<Sink, Long> lastCommit = new LinkedHashMap<>();
    private boolean complete;
    private long firstPublish = Long.MAX_VALUE;
    private long end;
    private String endBy = "";
    private long[] latencies = new long[0];

    private Landing(Family family, Sink.Phase phase) {
        this.family = family;
        this.phase = phase;
    }

    /** Waits until every sink has the phase's n messages (or nothing changed for 2 minutes). */
    public static Landing await(Family family, Sink.Phase phase) throws InterruptedException {
        Landing l = new Landing(family, phase);
        long lastTotal = -1;
        long lastChange = System.nanoTime();
        while (true) {
            Sink waitingOn = null;
            for (Sink s : family.sinks()) {
                if (l.polledComplete.containsKey(s)) {
                    continue;
                }
                long c = s.count(phase);
                l.counts.put(s, c);
                if (c < phase.n()) {
                    waitingOn = s;
                    break;
                }
                l.polledComplete.put(s, Sink.micros(Instant.now()));
            }
            if (waitingOn == null) {
                l.complete = true;
                return l;
            }
            long total = l.counts.values().stream().mapToLong(Long::longValue).sum();
            if (total != lastTotal) {
                lastTotal = total;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STALL_NANOS) {
                return l;
            }
            boolean pollTimesIt = waitingOn.clock() == null && !waitingOn.visibleLater();
            TimeUnit.MILLISECONDS.sleep(pollTimesIt ? 250 : 1000);
        }
    }

    /** Reads the commit clocks and computes the figures (after await; the CPU snapshot is taken in between). */
    public Landing read() {
        long[] clockLatencies = null;
        for (Sink s : family.sinks()) {
            List<long[]> t = s.times(phase);
            if (t == null || t.isEmpty()) {
                continue;
            }
            long last = 0;
            long[] lat = new long[t.size()];
            for (int i = 0; i < t.size(); i++) {
                firstPublish = Math.min(firstPublish, t.get(i)[0]);
                last = Math.max(last, t.get(i)[1]);
                lat[i] = t.get(i)[1] - t.get(i)[0];
            }
            lastCommit.put(s, last);
            if (last > end) {
                end = last;
                endBy = s.clock();
            }
            if (s == family.clock()) {
                clockLatencies = lat;
            }
        }
        for (Map.Entry<Sink, Long> e : polledComplete.entrySet()) {
            Sink s = e.getKey();
            if (s.clock() == null && !s.visibleLater() && e.getValue() > end) {
                end = e.getValue();
                endBy = s.name + " complete (poll time)";
            }
        }
        if (clockLatencies != null) {
            Arrays.sort(clockLatencies);
            latencies = clockLatencies;
        }
        return this;
    }

    public boolean complete() {
        return complete;
    }

    /** Seconds from the first publish to the last commit in every sink. */
    public double seconds() {
        return end == 0 || firstPublish == Long.MAX_VALUE ? Double.NaN : (end - firstPublish) / 1e6;
    }

    /** Messages per second end to end. */
    public double rate() {
        return phase.n() / seconds();
    }

    public String endBy() {
        return endBy;
    }

    /** Commit minus publish time in ms at the p-th percentile of the family's latency clock. */
    public double latencyMs(double p) {
        if (latencies.length == 0) {
            return Double.NaN;
        }
        return latencies[Math.min(latencies.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * latencies.length) - 1))] / 1000.0;
    }

    /** One line per sink: its count and when it was complete, counted from the first publish. */
    public List<String> sinkLines() {
        List<String> out = new ArrayList<>();
        for (Sink s : family.sinks()) {
            long c = counts.getOrDefault(s, 0L);
            String when;
            if (firstPublish == Long.MAX_VALUE) {
                when = complete ? "complete" : "INCOMPLETE";
            } else if (lastCommit.containsKey(s)) {
                when = String.format(Locale.ROOT, "last at +%.2f s by %s", (lastCommit.get(s) - firstPublish) / 1e6, s.clock());
            } else if (polledComplete.containsKey(s)) {
                when = String.format(Locale.ROOT, "%s by +%.2f s (poll)", s.visibleLater() ? "visible" : "complete",
                        (polledComplete.get(s) - firstPublish) / 1e6);
            } else {
                when = "INCOMPLETE";
            }
            out.add(String.format(Locale.ROOT, "%-34s %7d of %d, %s", s.name, c, phase.n(), when));
        }
        return out;
    }
}
