package io.gridwire.message;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gridwire.message.InvalidMessageException;

/**
 * Reads an MQTT payload as one JSON object, defensively: the size limit is checked before anything is parsed,
 * the bytes must be UTF-8, nesting and string lengths are bounded. Every refusal names the problem (it becomes
 * the dead letter's reason).
 */
public class JsonPayloads {

    private final ObjectMapper mapper;
    private final int maxPayloadBytes;

    public JsonPayloads(int maxPayloadBytes) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(65536).build())
                .build();
        this.mapper = new ObjectMapper(factory);
        this.maxPayloadBytes = maxPayloadBytes;
    }

    public JsonNode tree(byte[] payload) throws InvalidMessageException {
        if (payload == null || payload.length == 0) {
            throw new InvalidMessageException("empty payload");
        }
        if (payload.length > maxPayloadBytes) {
            throw new InvalidMessageException("payload of " + payload.length + " bytes exceeds the limit of "
                                              + maxPayloadBytes + " bytes");
        }
        JsonNode root;
        try {
            // plain ASCII (the usual case) is valid UTF-8: parse the bytes as they are, without a decoded copy
            root = ascii(payload) ? mapper.readTree(payload) : mapper.readTree(utf8(payload));
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidMessageException("malformed JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidMessageException("payload is not a JSON object");
        }
        return root;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> object(byte[] payload) throws InvalidMessageException {
        return mapper.convertValue(tree(payload), Map.class);
    }

    /** A decimal number written as a JSON string: optional sign, digits, optional fraction and exponent. */
    private static final java.util.regex.Pattern NUMERIC_TEXT =
            java.util.regex.Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    /**
     * The value of a numeric JSON field, the same rule in every family: a JSON number, or a string holding a decimal
     * number ({@code "100.00"}, {@code " -3.5e2 "}: firmware often sends numbers as strings; surrounding blanks are
     * ignored) is converted; anything else (text, a flag, an object) is not a number.
     *
     * @param node the field's value (may be null)
     * @return the value, or null when the node is missing, JSON null or not a number as above; may be infinite only
     *         when the number overflows a double (callers refuse non-finite values)
     */
    public static Double number(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            String text = node.asText().strip();
            if (text.length() <= 64 && NUMERIC_TEXT.matcher(text).matches()) {
                return Double.parseDouble(text);
            }
        }
        return null;
    }

    private static boolean ascii(byte[] payload) {
        for (byte b : payload) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static String utf8(byte[] payload) throws InvalidMessageException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidMessageException("payload is not valid UTF-8");
        }
    }
}
