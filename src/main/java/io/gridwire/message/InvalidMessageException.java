package io.gridwire.message;

/** A message gridwire cannot accept as it is; the message text is the dead letter's reason. */
public class InvalidMessageException extends Exception {

    public InvalidMessageException(String reason) {
        super(reason);
    }
}
