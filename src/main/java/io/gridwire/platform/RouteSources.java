package io.gridwire.platform;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * Which YAML route files gridwire loads: the packaged ones (classpath:routes/) and every *.camel.yaml in the routes
 * directory (ROUTES_DIR) when it exists. An entry of a file there (route, routeTemplate, routeConfiguration, rest,
 * templatedRoute) with the id of a packaged entry replaces the packaged entry; the packaged file's other entries stay.
 */
public final class RouteSources {

    private static final Logger LOG = LoggerFactory.getLogger(RouteSources.class);
    private static final String PATTERN = "*.camel.yaml";

    /** What to load: Camel's routesIncludePattern, and what the directory overrides and adds (for the log). */
    public record Plan(String includePattern, List<String> replaced, List<Path> external) {
    }

    private RouteSources() {
    }

    /**
     * @param packaged the packaged files' pattern (classpath:routes/*.camel.yaml)
     * @param dir      the routes directory; ignored when it does not exist
     * @param work     where packaged files with replaced entries are written without those entries
     */
    public static Plan plan(CamelContext context, String packaged, Path dir, Path work) throws Exception {
        List<Path> external = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PATTERN)) {
                files.forEach(external::add);
            }
            external.sort(null);
        }
        Set<String> overriding = new LinkedHashSet<>();
        for (Path f : external) {
            try {
                overriding.addAll(ids(entries(Files.readString(f))));
            } catch (RuntimeException e) {
                // Camel reports the error with its line when it loads the file; here it only cannot override anything
                LOG.warn("Route file {} could not be read for route ids: {}", f, e.getMessage());
            }
        }
        List<String> include = new ArrayList<>();
        List<String> replaced = new ArrayList<>();
        for (Resource r : PluginHelper.getPackageScanResourceResolver(context).findResources(packaged)) {
            String name = r.getLocation().substring(r.getLocation().lastIndexOf('/') + 1);
            String text;
            try (InputStream in = r.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            List<Object> entries = entries(text);
            List<Object> kept = new ArrayList<>();
            for (Object e : entries) {
                Set<String> ids = ids(List.of(e));
                if (ids.stream().anyMatch(overriding::contains)) {
                    replaced.addAll(ids);
                } else {
                    kept.add(e);
                }
            }
            if (kept.size() == entries.size()) {
                include.add("classpath:routes/" + name);
            } else if (!kept.isEmpty()) {
                Files.createDirectories(work);
                Path copy = work.resolve(name);
                Files.writeString(copy, "# " + name + " without the entries " + dir + " replaces (written by gridwire at start-up)\n"
                        + new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build()).dumpToString(kept));
                include.add("file:" + copy.toAbsolutePath());
            }
        }
        for (Path f : external) {
            include.add("file:" + f.toAbsolutePath());
        }
        return new Plan(String.join(",", include), replaced, external);
    }

    /** The top-level entries of a YAML route file. */
    static List<Object> entries(String yaml) {
        Object doc = new Load(LoadSettings.builder().setLabel("routes").build()).loadFromString(yaml);
        if (doc == null) {
            return List.of();
        }
        if (!(doc instanceof List<?> list)) {
            throw new IllegalArgumentException("a route file is a YAML list of entries (- route: ...)");
        }
        return new ArrayList<>(list);
    }

    /** How {@link #ids} names the route configuration without an id. */
    static final String DEFAULT_CONFIGURATION = "(without id)";

    /**
     * kind:id of each entry (templatedRoute: its routeId), e.g. route:energy-telemetry-ingest; the route configuration
     * without an id is routeConfiguration:(without id).
     */
    static Set<String> ids(List<Object> entries) {
        Set<String> ids = new LinkedHashSet<>();
        for (Object e : entries) {
            if (e instanceof Map<?, ?> m && m.size() == 1) {
                Map.Entry<?, ?> kind = m.entrySet().iterator().next();
                if (kind.getValue() instanceof Map<?, ?> body) {
                    Object id = body.get("id") != null ? body.get("id") : body.get("routeId");
                    if (id != null) {
                        ids.add(kind.getKey() + ":" + id);
                    } else if ("routeConfiguration".equals(kind.getKey())) {
                        // the one configuration without an id (the REST operations'): a copy replaces it too, or both
                        // would apply (authentication twice)
                        ids.add("routeConfiguration:" + DEFAULT_CONFIGURATION);
                    }
                }
            }
        }
        return ids;
    }
}
