package io.gridwire.sink;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** delivery.retry.* as gridwire's defaults set it (500 ms doubling up to 10 000 ms). */
class RetryPolicyTest {

    @ParameterizedTest(name = "after {0} failed attempts: {1} ms")
    @CsvSource({"1, 500", "2, 1000", "3, 2000", "4, 4000", "5, 8000", "6, 10000", "50, 10000"})
    void doublesUpToTheLongestWait(int failed, long expectedMs) {
        assertEquals(expectedMs, new RetryPolicy(500, 10_000).delayAfter(failed));
    }
}
