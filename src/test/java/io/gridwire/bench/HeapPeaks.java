package io.gridwire.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Peak heap in use of a JVM, per phase of the bench: one long-running `jstat -gc PID 1000` reads the JVM's own
 * performance counters (shared memory) once a second, so the measured JVM does no work for it (jcmd would attach to
 * it, a metrics scrape would render every meter inside it). In use = survivor + eden + old used, garbage included.
 */
public final class HeapPeaks implements AutoCloseable {

    private final Process jstat;
    private final Map<String, Double> peakKb = new ConcurrentHashMap<>();
    private volatile String phase = "";

    public HeapPeaks(long pid) throws IOException {
        String bin = Path.of(System.getProperty("java.home"), "bin", "jstat").toString();
        jstat = new ProcessBuilder(bin, "-gc", String.valueOf(pid), "1000").redirectErrorStream(true).start();
        Thread t = new Thread(this::read, "heap-peaks");
        t.setDaemon(true);
        t.start();
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> header = null;
            for (String line; (line = r.readLine()) != null; ) {
                List<String> cols = List.of(line.trim().split("\\s+"));
                if (cols.contains("EU")) {
                    header = cols;
                    continue;
                }
                if (header == null || cols.size() != header.size()) {
                    continue;
                }
                double used = 0;
                for (String c : List.of("S0U", "S1U", "EU", "OU")) {
                    used += Double.parseDouble(cols.get(header.indexOf(c)));
                }
                peakKb.merge(phase, used, Math::max);
            }
        } catch (IOException | NumberFormatException e) {
            // jstat gone (the JVM ended): no more samples
        }
    }

    /** Samples from now on count towards this phase. */
    public void phase(String name) {
        phase = name;
    }

    /** The largest heap in use sampled during the phase, in MB (NaN: no sample). */
    public double peakMb(String name) {
        Double kb = peakKb.get(name);
        return kb == null ? Double.NaN : kb / 1024;
    }

    @Override
    public void close() {
        jstat.destroy();
    }
}
