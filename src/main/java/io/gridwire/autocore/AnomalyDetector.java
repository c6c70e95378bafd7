package io.gridwire.autocore;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Seed 002's anomaly check on telemetry, without I/O: a reading's field is an anomaly when it lies at least
 * autocore.anomaly.zScore sample standard deviations from the field's moving average over the readings before it,
 * once that window holds autocore.anomaly.minSamples values of the field. A field that never varied (stddev 0) is
 * never judged.
 */
public final class AnomalyDetector {

    /** A field's average and sample standard deviation (the field's own unit) over {@code count} readings. */
    public record FieldStats(double average, double stddev, long count) {
    }

    /** One field of one reading judged an anomaly: its value, the window's figures and the z-score. */
    public record Anomaly(String field, double value, double average, double stddev, double zScore) {
    }

    private final double zScore;
    private final int minSamples;

    /**
     * @param zScore     how many standard deviations from the average make an anomaly (autocore.anomaly.zScore)
     * @param minSamples values of a field the window needs before the field is judged (autocore.anomaly.minSamples)
     */
    public AnomalyDetector(double zScore, int minSamples) {
        this.zScore = zScore;
        this.minSamples = minSamples;
    }

    /**
     * Average, sample standard deviation and count of each field over a window of readings: the same figures as
     * PostgreSQL's avg and stddev_samp (stddev 0 for a single value).
     *
     * @param window readings, each field name to value; a field missing from a reading is not counted for it
     * @return field name to its figures, fields in order of first appearance
     */
    public static Map<String, FieldStats> stats(Collection<Map<String, Double>> window) {
        Map<String, double[]> sums = new LinkedHashMap<>(); // n, sum, sum of squares
        for (Map<String, Double> r : window) {
            for (Map.Entry<String, Double> f : r.entrySet()) {
                double[] a = sums.computeIfAbsent(f.getKey(), k -> new double[3]);
                a[0]++;
                a[1] += f.getValue();
                a[2] += f.getValue() * f.getValue();
            }
        }
        Map<String, FieldStats> out = new LinkedHashMap<>();
        sums.forEach((k, a) -> {
            double n = a[0];
            double avg = a[1] / n;
            double var = n > 1 ? Math.max(0, (a[2] - n * avg * avg) / (n - 1)) : 0;
            out.put(k, new FieldStats(avg, Math.sqrt(var), (long) n));
        });
        return out;
    }

    /**
     * The reading's anomalies against the window before it.
     *
     * @param reading field name to value
     * @param before  the figures of the readings before it ({@link #stats}, or the same from PostgreSQL)
     * @return the fields judged anomalies, in the reading's order; empty if none
     */
    public List<Anomaly> judge(Map<String, Double> reading, Map<String, FieldStats> before) {
        List<Anomaly> out = new ArrayList<>(0);
        for (Map.Entry<String, Double> f : reading.entrySet()) {
            FieldStats s = before.get(f.getKey());
            if (s == null || s.count() < minSamples || !(s.stddev() > 0)) {
                continue;
            }
            double z = (f.getValue() - s.average()) / s.stddev();
            if (Math.abs(z) >= zScore) {
                out.add(new Anomaly(f.getKey(), f.getValue(), s.average(), s.stddev(), z));
            }
        }
        return out;
    }
}
