package io.gridwire.platform;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * When a failure counts towards isolating a message (the sink answered it and still answers): only then may a batch
 * be halved and a message end as a dead letter; a failure that says nothing about the message never counts.
 */
class SinkAnsweringTest {

    private static final DependencyCheck UP = new DependencyCheck("up", details -> null);
    private static final DependencyCheck DOWN = new DependencyCheck("down", details -> "not reachable");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("PostgreSQL refuses a value, PostgreSQL up", new SQLException("bad", "22021"), UP, true),
                Arguments.of("PostgreSQL refuses a value, PostgreSQL down by now", new SQLException("bad", "22021"), DOWN, false),
                Arguments.of("PostgreSQL deadlock, PostgreSQL up", new SQLException("deadlock", "40P01"), UP, false),
                Arguments.of("PostgreSQL admin shutdown", new SQLException("x", "57P01"), UP, false),
                Arguments.of("connection refused", new RuntimeException(new ConnectException("refused")), UP, false),
                Arguments.of("Kafka refuses a record, Kafka up", new RecordTooLargeException("too large"), UP, true),
                Arguments.of("Kafka partition without leader", new NotLeaderOrFollowerException("x"), UP, false),
                Arguments.of("a failure of no sink", new IllegalStateException("x"), UP, false));
    }

    @ParameterizedTest(name = "{0}: answered = {3}")
    @MethodSource("cases")
    void judges(String what, Throwable failure, DependencyCheck probe, boolean answered) {
        Predicate<Throwable> answering = DependencyCheck.sinkAnswering(probe, probe, probe);
        assertEquals(answered, answering.test(failure), what);
    }
}
