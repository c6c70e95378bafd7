package io.gridwire.message;

import java.io.IOException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import com.influxdb.exceptions.InfluxException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The failure classification every sink pipeline uses: retry the batch later (transient) or not (a refusal). */
class SinkFailuresTest {

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("connection refused", new ConnectException("refused"), true),
                Arguments.of("I/O error", new IOException("reset"), true),
                Arguments.of("timeout", new TimeoutException(), true),
                Arguments.of("no pooled connection", new SQLTransientConnectionException("pool"), true),
                Arguments.of("SQLState 08006 connection failure", new SQLException("x", "08006"), true),
                Arguments.of("SQLState 53300 too many connections", new SQLException("x", "53300"), true),
                Arguments.of("SQLState 57P01 admin shutdown", new SQLException("x", "57P01"), true),
                Arguments.of("SQLState 40001 serialization failure", new SQLException("x", "40001"), true),
                Arguments.of("SQLState 55P03 lock not available", new SQLException("x", "55P03"), true),
                Arguments.of("SQLState 25006 read-only (standby)", new SQLException("x", "25006"), true),
                Arguments.of("SQLState 22021 invalid byte sequence", new SQLException("x", "22021"), false),
                Arguments.of("SQLState 23502 not null violation", new SQLException("x", "23502"), false),
                Arguments.of("SQL error wrapped in a runtime exception", new RuntimeException(new SQLException("x", "08001")), true),
                Arguments.of("gridwire stopping", new RedeliverLaterException("stopping"), true),
                Arguments.of("interrupted", new InterruptedException(), true),
                Arguments.of("Kafka leader moving", new NotLeaderOrFollowerException("x"), true),
                Arguments.of("Kafka record too large", new RecordTooLargeException("x"), false),
                Arguments.of("TSDB HTTP 503", influx(503), true),
                Arguments.of("TSDB HTTP 429", influx(429), true),
                Arguments.of("TSDB HTTP 400 (bad line protocol)", influx(400), false),
                Arguments.of("a bug in gridwire", new IllegalStateException("x"), false));
    }

    @ParameterizedTest(name = "{0}: transient = {2}")
    @MethodSource("failures")
    void classifies(String what, Throwable failure, boolean transientFailure) {
        assertEquals(transientFailure, SinkFailures.isTransient(failure), what);
    }

    private static InfluxException influx(int status) {
        okhttp3.Request request = new okhttp3.Request.Builder().url("http://localhost:9000/api/v2/write").build();
        okhttp3.Response response = new okhttp3.Response.Builder().request(request).protocol(okhttp3.Protocol.HTTP_1_1)
                .code(status).message("status " + status).body(okhttp3.ResponseBody.create("{}", null)).build();
        return new InfluxException(retrofit2.Response.error(response.body(), response));
    }
}
