package io.gridwire.platform;

import org.apache.camel.model.ModelLifecycleStrategySupport;
import org.apache.camel.model.RouteDefinition;

/**
 * Gives every route its group, so Hawtio and the route metrics separate the REST API from each family: a REST
 * operation (the route the REST DSL makes of a verb, whose {@code to} calls the API bean directly) is in group
 * {@code api} and gets the {@code rest-api} route configuration (bearer token for changes, JSON error answers); any
 * other route without a group is in the group named by its file, {@code routes/autocore.camel.yaml} -> {@code autocore}.
 * Applied as each route definition is added, so also to routes a hot reload replaces.
 */
public final class RouteGroups extends ModelLifecycleStrategySupport {

    /** The route configuration (error-handling.camel.yaml) every REST operation runs with. */
    public static final String REST_CONFIGURATION = "rest-api";

    @Override
    public void onAddRouteDefinition(RouteDefinition route) {
        if (Boolean.TRUE.equals(route.isRest())) {
            route.setGroup("api");
            if (route.getRouteConfigurationId() == null) {
                route.setRouteConfigurationId(REST_CONFIGURATION);
            }
        } else if (route.getGroup() == null && route.getResource() != null) {
            route.setGroup(fileGroup(route.getResource().getLocation()));
        }
    }

    /** {@code classpath:routes/autocore.camel.yaml} -> {@code autocore}; null for a location without a file name. */
    static String fileGroup(String location) {
        if (location == null) {
            return null;
        }
        String name = location.substring(Math.max(location.lastIndexOf('/'), location.lastIndexOf(':')) + 1);
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : null;
    }
}
