package io.gridwire.mqtt;

/** Test helper: an {@link IngestMessage} as the consumer hands it on once its parser made {@code body} of it. */
public final class IngestMessages {

    private IngestMessages() {
    }

    public static IngestMessage parsed(String topic, Object body) {
        IngestMessage m = new IngestMessage(topic, String.valueOf(body).getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, 1, 0);
        m.body(body);
        return m;
    }
}
