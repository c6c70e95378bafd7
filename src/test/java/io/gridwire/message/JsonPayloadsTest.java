package io.gridwire.message;

import io.gridwire.message.JsonPayloads;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The numeric-field rule every family shares: JSON numbers and numbers sent as strings; nothing else. */
class JsonPayloadsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "100.00          | 100.0",
        "'\"100.00\"'    | 100.0",
        "'\" -3.5e2 \"'  | -350.0",
        "'\"+.5\"'       | 0.5",
        "'\"7.\"'        | 7.0",
        "'\"full\"'      | ",
        "'\"0x10\"'      | ",
        "'\"NaN\"'       | ",
        "'\"Infinity\"'  | ",
        "'\"1,5\"'       | ",
        "'\"\"'          | ",
        "true            | ",
        "null            | ",
        "'{\"v\":1}'     | ",
    })
    void numbersAndNumericStringsOnly(String json, Double expected) throws Exception {
        assertEquals(expected, JsonPayloads.number(JSON.readTree(json)));
    }
}
