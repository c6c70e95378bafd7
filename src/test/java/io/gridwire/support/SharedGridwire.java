package io.gridwire.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an end-to-end class that runs against the run's shared gridwire of one configuration ({@link GridwireExtension}
 * starts it and hands it to the class's methods); classes of one configuration run one after another
 * ({@link ByGridwireConfiguration}), so it starts once for them. A class without it starts (and stops) its own gridwire.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(GridwireExtension.class)
public @interface SharedGridwire {

    /** The configuration's name: {@link #DEFAULT} or {@link #SIMULATING}. */
    String value() default DEFAULT;

    /** gridwire as configured by application.properties (plus the test defaults of GridwireProcess). */
    String DEFAULT = "default";

    /** The same with the mock device simulation on: a round every 500 ms, no random failures. */
    String SIMULATING = "simulating";
}
