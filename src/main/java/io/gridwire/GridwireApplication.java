package io.gridwire;

import java.nio.file.Files;
import java.nio.file.Path;

import io.gridwire.platform.RouteSources;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts gridwire: Camel main with the YAML routes (packaged under routes/, replaced or extended by the files in
 * routes.dir); the package scan finds PlatformConfiguration and one configuration per family (EnergyConfiguration, ...), which build the beans.
 */
public final class GridwireApplication {

    private static final Logger LOG = LoggerFactory.getLogger(GridwireApplication.class);

    private GridwireApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main(GridwireApplication.class);
        main.addMainListener(new RoutesDirectory());
        int code = main.run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Chooses the route files (RouteSources) and the directory watched for changes, once the properties are known. */
    static final class RoutesDirectory extends MainListenerSupport {
        @Override
        public void beforeConfigure(BaseMainSupport main) {
            var pc = main.getCamelContext().getPropertiesComponent();
            Path dir = Path.of(pc.resolveProperty("routes.dir").orElse("routes").trim());
            boolean reload = Boolean.parseBoolean(pc.resolveProperty("routes.reload").orElse("false").trim());
            try {
                RouteSources.Plan plan = RouteSources.plan(main.getCamelContext(), "classpath:routes/*.camel.yaml", dir,
                        Files.createTempDirectory("gridwire-routes"));
                main.configure().setRoutesIncludePattern(plan.includePattern());
                if (Files.isDirectory(dir)) {
                    LOG.info("Routes: packaged routes/*.camel.yaml plus {} file(s) in {}{}", plan.external().size(),
                            dir.toAbsolutePath().normalize(), plan.replaced().isEmpty() ? ""
                                    : "; replacing " + plan.replaced().size() + " packaged entries: "
                                    + String.join(", ", plan.replaced().subList(0, Math.min(8, plan.replaced().size())))
                                    + (plan.replaced().size() > 8 ? ", ..." : ""));
                } else {
                    LOG.info("Routes: packaged routes/*.camel.yaml (no routes directory {}; set ROUTES_DIR to use one)",
                            dir.toAbsolutePath().normalize());
                }
                if (reload && Files.isDirectory(dir)) {
                    main.configure().setRoutesReloadEnabled(true);
                    main.configure().setRoutesReloadDirectory(dir.toString());
                    main.configure().setRoutesReloadPattern("*.camel.yaml");
                    // a changed file replaces its own routes by id; every other route keeps running
                    main.configure().setRoutesReloadRemoveAllRoutes(false);
                    LOG.info("Routes: watching {} - a saved change reloads that file's routes", dir.toAbsolutePath().normalize());
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the route files: " + e.getMessage(), e);
            }
        }
    }
}
