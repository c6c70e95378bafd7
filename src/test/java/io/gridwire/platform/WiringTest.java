package io.gridwire.platform;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole wiring without any service: every configuration found by the package scan (the platform's and each
 * family's) configures a context whose dependencies all point at closed ports, quickly, since wiring does no I/O
 * (that runs in start-up steps); then every bean the YAML routes name ({@code ref}, {@code #bean} parameters, the
 * bean and method of each templated REST operation) is bound, and every method they call exists on it.
 */
class WiringTest {

    private static final Path ROUTES = Path.of("src", "main", "resources", "routes");

    @Test
    void everyConfigurationWiresWithoutServicesAndEveryRouteReferenceResolves() throws Exception {
        CamelContext context = nowhere(Map.of());
        long t0 = System.nanoTime();
        Set<Class<?>> configurations = PluginHelper.getPackageScanClassResolver(context)
                .findImplementations(CamelConfiguration.class, "io.gridwire");
        assertTrue(configurations.size() >= 7, "the platform's and six families' configurations: " + configurations);
        for (Class<?> type : configurations) {
            CamelConfiguration c = (CamelConfiguration) type.getDeclaredConstructor().newInstance();
            PluginHelper.getBeanPostProcessor(context).postProcessBeforeInitialization(c, type.getSimpleName());
            c.configure(context);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        try {
            assertTrue(seconds < 10, "wiring took " + seconds + " s: something connects while wiring");
            List<String> problems = new ArrayList<>();
            for (Reference r : references()) {
                Object bean = context.getRegistry().lookupByName(r.bean());
                if (bean == null) {
                    problems.add(r.file() + ": no bean '" + r.bean() + "'");
                } else if (r.method() != null && Arrays.stream(bean.getClass().getMethods()).noneMatch(m -> m.getName().equals(r.method()))) {
                    problems.add(r.file() + ": bean '" + r.bean() + "' (" + bean.getClass().getSimpleName() + ") has no method " + r.method());
                }
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        } finally {
            Platform platform = Platform.of(context);
            platform.tsdb().close();
            ((HikariDataSource) platform.dataSource()).close();
        }
    }

    /** cluster.service=kubernetes wires too (its view is made without a Kubernetes API; it connects when started). */
    @Test
    void theKubernetesLeaseElectionWires() throws Exception {
        CamelContext context = nowhere(Map.of("cluster.service", "kubernetes", "gridwire.instance-id", "gridwire-0",
                "gridwire.mode", "kafka-first"));
        Platform platform = Platform.of(context);
        try {
            assertEquals("Kubernetes Lease", platform.leadership().mechanism());
            assertEquals("gridwire-0", platform.leadership().localId());
            assertTrue(platform.ingestBuffer() != null, "kafka-first mode wires its buffer");
        } finally {
            platform.tsdb().close();
            ((HikariDataSource) platform.dataSource()).close();
        }
    }

    /** A context with the packaged configuration, every dependency at a closed port, plus the extra properties. */
    private static CamelContext nowhere(Map<String, String> extra) {
        CamelContext context = new DefaultCamelContext();
        Properties nowhere = new Properties();
        nowhere.put("db.url", "jdbc:postgresql://127.0.0.1:1/nowhere");
        nowhere.put("kafka.bootstrap.servers", "127.0.0.1:1");
        nowhere.put("influx.url", "http://127.0.0.1:1");
        nowhere.put("mqtt.broker.port", "1");
        nowhere.put("hawtio.enabled", "false");
        nowhere.putAll(extra);
        context.getPropertiesComponent().setLocation("classpath:application.properties");
        context.getPropertiesComponent().setOverrideProperties(nowhere);
        return context;
    }

    record Reference(String file, String bean, String method) {
    }

    /** The beans (and methods) the packaged route files call. */
    private static Set<Reference> references() throws Exception {
        Set<Reference> refs = new TreeSet<>((a, b) -> (a.file() + a.bean() + a.method()).compareTo(b.file() + b.bean() + b.method()));
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".camel.yaml")).toList()) {
                for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(f))) {
                    walk(f.getFileName().toString(), doc, refs);
                }
            }
        }
        assertTrue(refs.size() > 40, "references found: " + refs.size());
        return refs;
    }

    @SuppressWarnings("unchecked")
    private static void walk(String file, Object node, Set<Reference> refs) {
        if (node instanceof List<?> list) {
            // a templated route's parameters: [{name: bean, value: x}, {name: method, value: y}, ...]
            String bean = null;
            String method = null;
            for (Object item : list) {
                if (item instanceof Map<?, ?> m && m.get("name") instanceof String n && m.get("value") instanceof String v) {
                    switch (n) {
                        case "bean", "client", "parser", "pipeline" -> {
                            if (n.equals("bean")) {
                                bean = v;
                            } else {
                                refs.add(new Reference(file, v, null));
                            }
                        }
                        case "method" -> method = v;
                        default -> { }
                    }
                }
                walk(file, item, refs);
            }
            if (bean != null) {
                refs.add(new Reference(file, bean, method));
            }
        } else if (node instanceof Map<?, ?> map) {
            if (map.get("ref") instanceof String ref && !ref.contains("{{")) {
                refs.add(new Reference(file, ref, map.get("method") instanceof String m && !m.contains("{{") ? m : null));
            }
            for (Map.Entry<?, ?> e : ((Map<Object, Object>) map).entrySet()) {
                if (e.getValue() instanceof String v && v.startsWith("#") && !v.startsWith("#{{") && !v.startsWith("#class:")) {
                    refs.add(new Reference(file, v.substring(1), null));
                }
                walk(file, e.getValue(), refs);
            }
        }
    }
}
