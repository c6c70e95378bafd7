package io.gridwire.support;

import java.util.Comparator;

import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

/**
 * Orders end-to-end classes so those sharing a gridwire configuration ({@link SharedGridwire}) run together, then the
 * classes with their own gridwire; by name within each group. Only one gridwire runs at any time: two would both
 * consume every family's topics and write the same database.
 */
public class ByGridwireConfiguration implements ClassOrderer {

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator.comparing(ByGridwireConfiguration::group)
                .thenComparing(d -> d.getTestClass().getName()));
    }

    private static String group(ClassDescriptor d) {
        return d.findAnnotation(SharedGridwire.class).map(s -> "0-" + s.value()).orElse("1-own");
    }
}
