package io.gridwire.support;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The end-to-end tier's JUnit extension (applied by {@link SharedGridwire}): before a class, the run's services are up
 * (scripts/services.sh start, once per run) and the run's gridwire of the class's configuration runs (started once
 * for every class of that configuration, see {@link TestRun}); its {@code @BeforeAll} and test methods get, as
 * parameters, that {@link GridwireProcess}, an {@link Api} client of it and a {@link Devices} connection with the
 * device account (closed after the class).
 */
public class GridwireExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GridwireExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        TestRun.servicesUp();
        // not kept in the class's store: JUnit closes AutoCloseable values with the class, and this one outlives it
        TestRun.sharedGridwire(context.getRequiredTestClass());
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == GridwireProcess.class || type == Api.class || type == Devices.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // class-level values, closed after the class: a test method gets the ones @BeforeAll got
        ExtensionContext.Store store = classContext(context).getStore(NS);
        GridwireProcess gridwire;
        try {
            gridwire = TestRun.sharedGridwire(context.getRequiredTestClass());
        } catch (Exception e) {
            throw new org.junit.jupiter.api.extension.ParameterResolutionException("cannot start the shared gridwire: " + e.getMessage(), e);
        }
        Class<?> type = parameter.getParameter().getType();
        if (type == GridwireProcess.class) {
            return gridwire;
        }
        if (type == Api.class) {
            return store.getOrComputeIfAbsent(Api.class, k -> new Api(gridwire.httpPort()), Api.class);
        }
        return store.getOrComputeIfAbsent(Devices.class, k -> new ClosingDevices(), ClosingDevices.class).devices;
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    /** The device account's connection, closed when the class is done. */
    private static final class ClosingDevices implements ExtensionContext.Store.CloseableResource {
        final Devices devices;

        ClosingDevices() {
            try {
                devices = new Devices();
            } catch (Exception e) {
                throw new IllegalStateException("cannot connect the device account to the broker: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws Exception {
            devices.close();
        }
    }
}
