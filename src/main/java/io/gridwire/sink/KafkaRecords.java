package io.gridwire.sink;

/**
 * The header every Kafka record gridwire writes carries, {@value #MESSAGE_ID} = {@link #messageId}: the same on every
 * redelivery of the same reading (consumers drop the copy) and different for a different reading under the same key
 * (a correction: the later one is the reading every sink holds).
 */
public final class KafkaRecords {

    public static final String MESSAGE_ID = "gridwire_message_id";

    private KafkaRecords() {
    }

    /**
     * The id of a Kafka record: {@code key@timestamp#crc} where crc is the CRC-32C (8 hex digits) of the record's
     * content, so the id is stable across redeliveries and identifies the content, not only the key.
     *
     * @param key       the device's id (or serial number)
     * @param timestamp the reading's ISO-8601 timestamp
     * @param content   what the record says (its value, or the part of it that is the device's)
     */
    public static String messageId(String key, String timestamp, String content) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return key + "@" + timestamp + "#" + java.util.HexFormat.of().toHexDigits((int) crc.getValue());
    }
}
