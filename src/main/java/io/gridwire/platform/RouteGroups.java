package io.gridwire.platform;

import org.apache.camel.model.ModelLifecycleStrategySupport;
import org.apache.camel.model.RouteDefinition;

/**
 * Gives every route its group, so Hawtio and the route metrics separate the REST API from each family: a REST
 * operation (the route the REST DSL makes of a verb, whose {@code to} calls the API bean directly) is in group
 * {@code api}; any other route without a group is in the group named by its file,
 * {@code routes/autocore.camel.yaml} -> {@code autocore}. Applied as each route definition is added, so also to routes
 * a hot reload replaces. (REST operations get their error handling from the one route configuration without an id in
 * error-handling.camel.yaml: by then a route's configurations are already applied.)
 */
public final class RouteGroups extends ModelLifecycleStrategySupport {

    @Override
    public void onAddRouteDefinition(RouteDefinition route) {
        if (Boolean.TRUE.equals(route.isRest())) {
            route.setGroup("api");
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
