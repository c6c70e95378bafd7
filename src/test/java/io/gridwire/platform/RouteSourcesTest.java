package io.gridwire.platform;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which route files gridwire loads when a routes directory overrides packaged entries (the dev profile's case). */
class RouteSourcesTest {

    @Test
    void aDirectoryHoldingThePackagedFilesReplacesEveryEntryIncludingTheConfigurationWithoutId() throws Exception {
        Path dir = Path.of("src", "main", "resources", "routes");
        Path work = Files.createTempDirectory("routes-work");
        try (var context = new DefaultCamelContext()) {
            RouteSources.Plan plan = RouteSources.plan(context, "classpath:routes/*.camel.yaml", dir, work);
            assertFalse(plan.includePattern().contains("classpath:"), "no packaged file still loaded: " + plan.includePattern());
            assertFalse(plan.includePattern().contains(work.toString()), "no packaged leftovers: " + plan.includePattern());
            assertTrue(plan.replaced().contains("routeConfiguration:" + RouteSources.DEFAULT_CONFIGURATION), plan.replaced().toString());
            assertEquals(plan.external().size(), plan.includePattern().split(",").length);
        }
    }

    @Test
    void aFileOverridingOneRouteLeavesTheRestOfItsPackagedFile() throws Exception {
        Path dir = Files.createTempDirectory("routes-dir");
        Files.writeString(dir.resolve("mine.camel.yaml"), "- route:\n    id: simulator-tick\n    routeConfigurationId: scheduled\n"
                + "    from:\n      uri: timer:t\n      steps:\n        - log: mine\n");
        try (var context = new DefaultCamelContext()) {
            RouteSources.Plan plan = RouteSources.plan(context, "classpath:routes/*.camel.yaml", dir,
                    Files.createTempDirectory("routes-work"));
            assertEquals(java.util.List.of("route:simulator-tick"), plan.replaced());
            assertTrue(plan.includePattern().contains("classpath:routes/energy.camel.yaml"), plan.includePattern());
            assertTrue(plan.includePattern().contains("simulator.camel.yaml"), "the rest of the simulator's file stays");
        }
    }
}
