package io.gridwire.platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The container and Kubernetes deployments say what the code reads: every environment variable they set is a
 * configuration key of application.properties (upper case, dots and dashes as underscores), the instances have
 * distinct, stable GRIDWIRE_INSTANCE_IDs in one shared group, and the probes point at gridwire's health endpoints.
 */
class DeploymentFilesTest {

    @Test
    void composeRunsThreeInstancesInOneSharedGroupWithStableIds() throws IOException {
        Map<String, Object> compose = yaml(Path.of("docker/compose.yaml")).get(0);
        Map<String, Object> services = map(compose.get("services"));
        Set<String> ids = new HashSet<>();
        for (var e : services.entrySet()) {
            if (!e.getKey().startsWith("gridwire")) {
                continue;
            }
            Map<String, Object> env = map(map(e.getValue()).get("environment"));
            ids.add(String.valueOf(env.get("GRIDWIRE_INSTANCE_ID")));
            assertTrue(String.valueOf(env.get("MQTT_SHARED_GROUP")).contains("gridwire"), e.getKey() + " in the shared group");
            assertKnown(env.keySet(), "docker/compose.yaml " + e.getKey());
        }
        assertEquals(Set.of("gridwire-1", "gridwire-2", "gridwire-3"), ids);
    }

    /**
     * docker/compose.local.yaml (scripts/containers.sh) only overrides services compose.yaml has, and never a list
     * compose.yaml also sets other than volumes: podman-compose appends lists, so an overridden health check test or
     * command in list form would run both.
     */
    @Test
    void localOverrideReplacesNoListOfTheProductionCompose() throws IOException {
        Map<String, Object> base = map(yaml(Path.of("docker/compose.yaml")).get(0).get("services"));
        Map<String, Object> local = map(yaml(Path.of("docker/compose.local.yaml")).get(0).get("services"));
        for (var e : local.entrySet()) {
            assertTrue(base.containsKey(e.getKey()), "compose.yaml has no service " + e.getKey());
            Map<String, Object> service = map(base.get(e.getKey()));
            Map<String, Object> override = map(e.getValue());
            for (String key : List.of("command", "entrypoint", "ports")) {
                assertTrue(!(override.get(key) instanceof List) || service.get(key) == null,
                        e.getKey() + ": " + key + " is a list in both files");
            }
            if (override.get("healthcheck") != null) {
                assertTrue(map(override.get("healthcheck")).get("test") instanceof String
                                && map(service.get("healthcheck")).get("test") instanceof String,
                        e.getKey() + ": an overridden health check test must be a string in both files");
            }
            assertKnown(map(override.getOrDefault("environment", Map.of())).keySet().stream()
                    .filter(k -> e.getKey().startsWith("gridwire") && !k.equals("JAVA_TOOL_OPTIONS")).toList(),
                    "docker/compose.local.yaml " + e.getKey());
        }
    }

    @Test
    void kubernetesStatefulSetHasStableIdsProbesAndLeaseRbac() throws IOException {
        List<Map<String, Object>> docs = yaml(Path.of("deploy/kubernetes/gridwire.yaml"));
        Map<String, Object> config = kind(docs, "ConfigMap");
        assertKnown(map(config.get("data")).keySet(), "ConfigMap gridwire");
        assertEquals("kubernetes", map(config.get("data")).get("CLUSTER_SERVICE"));
        Map<String, Object> set = kind(docs, "StatefulSet");
        Map<String, Object> pod = map(map(map(set.get("spec")).get("template")).get("spec"));
        Map<String, Object> container = map(((List<?>) pod.get("containers")).get(0));
        List<String> env = new ArrayList<>();
        for (Object o : (List<?>) container.get("env")) {
            env.add(String.valueOf(map(o).get("name")));
        }
        assertKnown(env, "StatefulSet env");
        assertTrue(env.contains("GRIDWIRE_INSTANCE_ID"), "the pod name is the instance id");
        assertEquals("/observe/health/ready", map(map(container.get("readinessProbe")).get("httpGet")).get("path"));
        assertEquals("/observe/health/live", map(map(container.get("livenessProbe")).get("httpGet")).get("path"));
        // the drain (up to 30 s per route) and the graceful shutdown (camel.main.shutdownTimeout) fit in the grace period
        assertTrue((Integer) pod.get("terminationGracePeriodSeconds") > 45 + 30);
        Map<String, Object> role = kind(yaml(Path.of("deploy/kubernetes/rbac.yaml")), "Role");
        assertTrue(role.toString().contains("leases"), "the Role grants the Lease");
    }

    private static void assertKnown(java.util.Collection<String> variables, String where) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            p.load(in);
        }
        Set<String> known = new HashSet<>();
        for (String key : p.stringPropertyNames()) {
            known.add(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        for (String v : variables) {
            assertTrue(known.contains(v), where + ": " + v + " is no key of application.properties");
        }
    }

    private static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(file))) {
            if (doc != null) {
                out.add(map(doc));
            }
        }
        return out;
    }

    private static Map<String, Object> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst().orElseThrow(() -> new AssertionError("no " + kind));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
