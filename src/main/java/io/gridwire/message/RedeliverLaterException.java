package io.gridwire.message;

/**
 * The message could not be processed now for a reason that is not the message's fault (gridwire is stopping):
 * its exchange fails without a dead letter, so it stays unacked and the broker redelivers it.
 */
public class RedeliverLaterException extends Exception {

    public RedeliverLaterException(String reason) {
        super(reason);
    }
}
