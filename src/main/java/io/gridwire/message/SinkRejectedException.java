package io.gridwire.message;

/** A sink refused one message for good (not because it was unavailable): the message becomes a dead letter. */
public class SinkRejectedException extends Exception {

    public SinkRejectedException(String reason, Throwable cause) {
        super("rejected by a sink: " + reason, cause);
    }
}
