package io.gridwire;

import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build-time lint of the YAML routes (runs in mvn verify, no services needed): every file under
 * src/main/resources/routes loads with Camel's YAML DSL, every route has an explicit id and no id is used twice, and
 * every {{property}} a route uses is defined in application.properties. A failure names the file and the line.
 */
class RouteLintTest {

    private static final Path ROUTES = Path.of("src", "main", "resources", "routes");

    @Test
    void everyPackagedRouteFileIsValid() throws Exception {
        List<String> problems = lint(files(ROUTES));
        assertTrue(problems.isEmpty(), "route lint:\n  " + String.join("\n  ", problems));
    }

    @Test
    void anErrorIsReportedWithItsFileAndLine() throws Exception {
        Path dir = Files.createTempDirectory("lint");
        Path syntax = Files.writeString(dir.resolve("syntax.camel.yaml"),
                "- route:\n    id: a\n    routeConfigurationId: scheduled\n    from:\n      uri: timer:a\n      steps:\n        - log: [unclosed\n");
        Path unknown = Files.writeString(dir.resolve("unknown.camel.yaml"),
                "- route:\n    id: b\n    routeConfigurationId: scheduled\n    from:\n      uri: timer:b\n      steps:\n        - lgo: hello\n");
        Path property = Files.writeString(dir.resolve("property.camel.yaml"),
                "- route:\n    id: c\n    routeConfigurationId: scheduled\n    from:\n      uri: timer:c\n      steps:\n        - log: \"{{mqtt.topics.energyDta}}\"\n");
        Path noId = Files.writeString(dir.resolve("no-id.camel.yaml"),
                "- route:\n    routeConfigurationId: scheduled\n    from:\n      uri: timer:d\n      steps:\n        - log: hello\n");
        List<String> problems = lint(List.of(syntax, unknown, property, noId));
        String all = String.join("\n", problems);
        assertEquals(4, problems.size(), all);
        assertTrue(all.contains(syntax + ":7:"), all);
        assertTrue(all.contains(unknown + ":7:") && all.contains("lgo"), all);
        assertTrue(all.contains(property + ":7: unknown property mqtt.topics.energyDta"), all);
        assertTrue(all.contains(noId + ":1: a route without an explicit id"), all);
    }

    static List<Path> files(Path dir) throws Exception {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.camel.yaml")) {
            s.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    /** file:line: problem, for every problem in the files (loaded together, as gridwire loads them). */
    static List<String> lint(List<Path> files) throws Exception {
        List<String> problems = new ArrayList<>();
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src", "main", "resources", "application.properties"))) {
            props.load(in);
        }
        Pattern placeholder = Pattern.compile("\\{\\{([^}:]+)(:[^}]*)?}}");
        Map<String, String> ids = new HashMap<>();
        List<Path> ordered = templatesFirst(files);
        // a route template's parameters ({{client}}) are not application properties
        Pattern parameter = Pattern.compile("^\\s*- name:\\s*(\\S+)\\s*$");
        java.util.Set<String> parameters = new java.util.HashSet<>();
        for (Path f : files) {
            for (String l : Files.readAllLines(f)) {
                Matcher m = parameter.matcher(l);
                if (m.matches()) {
                    parameters.add(m.group(1));
                }
            }
        }
        try (CamelContext context = new DefaultCamelContext()) {
            context.getPropertiesComponent().setInitialProperties(props);
            for (Path f : ordered) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = placeholder.matcher(lines.get(i));
                    while (m.find()) {
                        String key = m.group(1).trim();
                        boolean builtIn = key.startsWith("env:") || key.startsWith("sys:") || key.startsWith("bean:");
                        if (!builtIn && m.group(2) == null && !props.containsKey(key) && !parameters.contains(key)) {
                            problems.add(f + ":" + (i + 1) + ": unknown property " + key);
                        }
                    }
                    if (lines.get(i).matches("- route:\\s*") && (i + 1 >= lines.size() || !lines.get(i + 1).trim().startsWith("id:"))) {
                        problems.add(f + ":" + (i + 1) + ": a route without an explicit id (put id: first)");
                    }
                    if (lines.get(i).matches("- route:\\s*") && !namesConfiguration(lines, i + 1)) {
                        problems.add(f + ":" + (i + 1) + ": a route without routeConfigurationId would get the REST operations' "
                                     + "error handling (name one from error-handling.camel.yaml)");
                    }
                }
                int before = ((ModelCamelContext) context).getRouteDefinitions().size();
                try {
                    PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "file:" + f));
                } catch (Exception e) {
                    problems.add(f + ":" + line(e) + ": " + message(e));
                    continue;
                }
                List<RouteDefinition> defs = ((ModelCamelContext) context).getRouteDefinitions();
                for (RouteDefinition d : defs.subList(before, defs.size())) {
                    String id = d.getRouteId();
                    String previous = id == null ? null : ids.putIfAbsent(id, f.getFileName().toString());
                    if (previous != null) {
                        problems.add(f + ":" + Math.max(1, d.getLineNumber()) + ": route id " + id + " already used in " + previous);
                    }
                }
            }
        }
        return problems;
    }

    /** Whether the route entry starting at line {@code from} has a routeConfigurationId among its own keys. */
    private static boolean namesConfiguration(List<String> lines, int from) {
        for (int j = from; j < lines.size() && (lines.get(j).isBlank() || lines.get(j).startsWith("    ")); j++) {
            if (lines.get(j).startsWith("    routeConfigurationId:")) {
                return true;
            }
        }
        return false;
    }

    /** Files ordered so that a file using a route template (routeTemplateRef) comes after the file defining it. */
    private static List<Path> templatesFirst(List<Path> files) throws Exception {
        Pattern defined = Pattern.compile("- routeTemplate:\\s*\\n\\s+id:\\s*(\\S+)");
        Pattern used = Pattern.compile("routeTemplateRef:\\s*(\\S+)");
        Map<Path, java.util.Set<String>> needs = new HashMap<>();
        Map<String, Path> definedIn = new HashMap<>();
        for (Path f : files) {
            String text = Files.readString(f);
            Matcher d = defined.matcher(text);
            while (d.find()) {
                definedIn.put(d.group(1), f);
            }
            java.util.Set<String> n = new java.util.HashSet<>();
            Matcher u = used.matcher(text);
            while (u.find()) {
                n.add(u.group(1));
            }
            needs.put(f, n);
        }
        List<Path> ordered = new ArrayList<>();
        List<Path> left = new ArrayList<>(files);
        while (!left.isEmpty()) {
            Path next = left.stream().filter(f -> needs.get(f).stream().map(definedIn::get)
                    .allMatch(g -> g == null || g.equals(f) || ordered.contains(g))).findFirst().orElse(left.get(0));
            ordered.add(next);
            left.remove(next);
        }
        return ordered;
    }

    /** The 1-based line of the innermost YAML error that has one, else 1. */
    private static int line(Throwable e) {
        int line = 0;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MarkedYamlEngineException y) {
                // the context ("while parsing a flow sequence ... line 6") is where the user looks; else the problem
                var mark = y.getContextMark().isPresent() ? y.getContextMark() : y.getProblemMark();
                if (mark.isPresent()) {
                    line = mark.get().getLine() + 1;
                }
            }
        }
        return Math.max(line, 1);
    }

    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }
}
