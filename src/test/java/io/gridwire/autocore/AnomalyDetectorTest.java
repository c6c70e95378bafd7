package io.gridwire.autocore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seed 002's anomaly check: the moving window's figures and which readings they make anomalies. */
class AnomalyDetectorTest {

    /** zScore 3, at least 3 values of a field in the window. */
    private final AnomalyDetector detector = new AnomalyDetector(3, 3);

    @ParameterizedTest(name = "{4}")
    @CsvSource(delimiter = '|', value = {
        // window values      | reading | anomaly | z (or NaN) | case
        "10,12,14             | 12      | false   | NaN        | at the average",
        "10,12,14             | 18      | true    | 3.0        | exactly zScore deviations above: an anomaly",
        "10,12,14             | 6       | true    | -3.0       | exactly zScore deviations below: an anomaly",
        "10,12,14             | 17.9    | false   | NaN        | just under zScore deviations",
        "10,12                | 100     | false   | NaN        | fewer than minSamples values: not judged",
        "5,5,5,5              | 100     | false   | NaN        | a field that never varied (stddev 0): not judged",
    })
    void judgesAReadingAgainstTheWindowBeforeIt(String window, double value, boolean anomaly, double z, String name) {
        List<Map<String, Double>> readings = new ArrayList<>();
        for (String v : window.split(",")) {
            readings.add(Map.of("temperature", Double.parseDouble(v.trim())));
        }
        List<AnomalyDetector.Anomaly> found = detector.judge(Map.of("temperature", value), AnomalyDetector.stats(readings));
        assertEquals(anomaly, !found.isEmpty(), name);
        if (anomaly) {
            assertEquals("temperature", found.get(0).field());
            assertEquals(z, found.get(0).zScore(), 1e-9);
            assertEquals(12, found.get(0).average(), 1e-9);
            assertEquals(2, found.get(0).stddev(), 1e-9);
        }
    }

    @Test
    void statsAreTheSampleFiguresOfEachFieldOverTheReadingsThatHaveIt() {
        var stats = AnomalyDetector.stats(Arrays.asList(
                Map.of("voltage", 230.0, "current", 1.0),
                Map.of("voltage", 232.0),
                Map.of("voltage", 234.0, "current", 3.0)));
        assertEquals(new AnomalyDetector.FieldStats(232, 2, 3), stats.get("voltage"));
        assertEquals(2, stats.get("current").average(), 1e-9);
        assertEquals(Math.sqrt(2), stats.get("current").stddev(), 1e-9);
        assertEquals(2, stats.get("current").count());
    }

    @Test
    void aSingleValueHasNoDeviationAndAnEmptyWindowNoFigures() {
        assertEquals(new AnomalyDetector.FieldStats(7, 0, 1), AnomalyDetector.stats(List.of(Map.of("x", 7.0))).get("x"));
        assertTrue(AnomalyDetector.stats(List.of()).isEmpty());
    }

    @Test
    void onlyTheFieldsThatDeviateAreAnomalies() {
        var stats = AnomalyDetector.stats(List.of(Map.of("a", 1.0, "b", 1.0), Map.of("a", 2.0, "b", 2.0),
                Map.of("a", 3.0, "b", 3.0)));
        var found = detector.judge(Map.of("a", 2.0, "b", 50.0), stats);
        assertEquals(1, found.size());
        assertEquals("b", found.get(0).field());
        assertEquals(50, found.get(0).value());
    }
}
