package io.gridwire.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.gridwire.support.Sinks;

/**
 * CPU seconds from /proc: of gridwire's JVM (utime + stime of /proc/PID/stat), of the local services (their pid
 * files under .gridwire-data; PostgreSQL = every process named postgres) and of the whole box (/proc/stat).
 * A snapshot before and one after a phase give what each spent on it.
 */
public final class CpuTimes {

    /** USER_HZ: the unit of /proc's CPU times (100 on Linux, whatever the kernel's HZ). */
    private static final double TICKS_PER_SECOND = 100.0;
    private static final Path DATA = Path.of(Sinks.env("GRIDWIRE_DATA", ".gridwire-data"));

    private final Map<String, Double> seconds;
    private final double boxBusy;
    private final double boxAll;
    private final long nanos = System.nanoTime();

    private CpuTimes(Map<String, Double> seconds, double boxBusy, double boxAll) {
        this.seconds = seconds;
        this.boxBusy = boxBusy;
        this.boxAll = boxAll;
    }

    /** Now: gridwire (pid) and the services that are found. */
    public static CpuTimes now(long gridwire) {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("gridwire", process(gridwire));
        for (String service : List.of("mosquitto", "kafka", "questdb")) {
            try {
                long pid = Long.parseLong(Files.readString(DATA.resolve(service).resolve(service + ".pid")).trim());
                s.put(service, process(pid));
            } catch (IOException | NumberFormatException e) {
                // not started from this checkout: left out
            }
        }
        s.put("postgres", postgres());
        double[] box = box();
        return new CpuTimes(s, box[0], box[1]);
    }

    /** gridwire's CPU seconds between then and this snapshot. */
    public double gridwireSince(CpuTimes then) {
        return seconds.get("gridwire") - then.seconds.get("gridwire");
    }

    /** Every process's CPU seconds since then, and the box's busy cores on average, as one line. */
    public String since(CpuTimes then) {
        double wall = (nanos - then.nanos) / 1e9;
        String each = seconds.entrySet().stream().filter(e -> then.seconds.containsKey(e.getKey()))
                .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() - then.seconds.get(e.getKey())))
                .collect(Collectors.joining(", "));
        double busyCores = (boxBusy - then.boxBusy) / (boxAll - then.boxAll) * Runtime.getRuntime().availableProcessors();
        return String.format(Locale.ROOT, "CPU s over %.1f s: %s; box busy %.2f of %d cores", wall, each, busyCores,
                Runtime.getRuntime().availableProcessors());
    }

    /** utime + stime of one process, in seconds (0 once it is gone). */
    static double process(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double postgres() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return Files.readString(p.resolve("comm")).trim().equals("postgres");
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .mapToDouble(p -> process(Long.parseLong(p.getFileName().toString()))).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /** {busy, all} ticks of every CPU since boot (idle and iowait count as not busy). */
    private static double[] box() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            double all = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                all += Long.parseLong(f[i]);
            }
            double idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new double[] {all - idle, all};
        } catch (IOException e) {
            return new double[] {0, 1};
        }
    }
}
