package io.gridwire.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;

/**
 * A device family the bench drives: its topic (under a root of its own for this run, so sessions that earlier runs
 * and tests left on the broker match none of the bench's messages), mqttload's payload shape for it, the account that
 * publishes, and every sink its messages are committed in.
 */
public abstract class Family {

    /** The families bench/run.sh measures by default, in this order. */
    public static final List<String> ALL = List.of("energy", "autocore", "sites", "pdu");

    final String name;
    /** This run's tag, e.g. bench-1a2b3c: in the topic roots and the device ids. */
    final String run;
    /** Device ids are devicePrefix + 00000.. (mqttload's numbering). */
    final String devicePrefix;

    Family(String name, String run) {
        this.name = name;
        this.run = run;
        this.devicePrefix = run + "-";
    }

    public static Family of(String name, String run) {
        return switch (name) {
            case "energy" -> new EnergyFamily(run);
            case "autocore" -> new AutocoreFamily(run);
            case "sites" -> new SitesFamily(run);
            case "pdu" -> new PduFamily(run);
            default -> throw new IllegalArgumentException("unknown family '" + name + "' (one of " + ALL + " or all)");
        };
    }

    /** The topic gridwire's subscription covers for this run; one %s: the device id. */
    abstract String topic();

    /** The same topic shape under the bench-raw root, which nothing of gridwire's subscribes to. */
    String rawTopic() {
        return "bench-raw/" + topic();
    }

    /** mqttload's MQTTLOAD_FORMAT. */
    String format() {
        return name;
    }

    Mqttload.Account publisher() {
        return Mqttload.Account.DEVICE;
    }

    /** gridwire settings (environment) this family needs for the run. */
    Map<String, String> gridwireEnv() {
        return Map.of();
    }

    /**
     * The topic root of this run's subscriptions (e.g. energy/bench-1a2b3c/): gridwire logs each SUBACK with its filter,
     * so one logged under the root says the family's subscription is in place. null: none at start-up.
     */
    String subscriptionRoot() {
        return null;
    }

    /** How many filters gridwire subscribes to under that root. */
    int subscriptionCount() {
        return 1;
    }

    /**
     * Waits until gridwire's log shows count distinct filters subscribed under the root (SUBACKs; shared ones too),
     * at most 60 s.
     */
    static void awaitSubscribed(GridwireProcess gridwire, String root, int count) throws IOException, InterruptedException {
        Pattern subscribed = Pattern.compile(" subscribed to (?:\\$share/[^/]+/)?(" + Pattern.quote(root) + "\\S*) \\(QoS 1\\)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long seen = 0;
        while (System.nanoTime() < deadline) {
            seen = subscribed.matcher(Files.readString(gridwire.log())).results().map(r -> r.group(1)).distinct().count();
            if (seen >= count) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new IllegalStateException("only " + seen + " of " + count + " subscriptions under " + root + " in place after 60 s"
                                        + " (see " + gridwire.log() + ")");
    }

    /** Prepares what gridwire needs before messages flow (registered devices, sockets). */
    void setUp(GridwireProcess gridwire, Api api, List<String> devices) throws Exception {
    }

    /** Removes what setUp or the run registered (not the measured rows); also run at start for earlier runs' leftovers. */
    void cleanUp(String runPattern) {
    }

    /** Every sink of the family, in the order the bench waits on them (the one written last first, where that's known). */
    abstract List<Sink> sinks();

    /** The sink whose commit clock the latency is read from. */
    Sink clock() {
        return sinks().get(0); // the sink written last, whose commit time ends the measurement
    }

    /** What that clock reads, and what of the commit comes after it (printed with the latency). */
    abstract String clockNote();

    /** The id(s) of the route that takes the family's MQTT messages (a regex), for gridwire's own time per message. */
    abstract String ingestRoute();

    List<String> devices(int m) {
        List<String> out = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            out.add(String.format("%s%05d", devicePrefix, i));
        }
        return out;
    }

    String describe() {
        return name + ": " + topic().replace("%s", "{device}") + " as " + publisher().user() + " -> "
               + sinks().stream().map(s -> s.name).collect(Collectors.joining(", "));
    }
}
