package io.gridwire.simulator;

import java.util.List;

/** Sends mock device messages to the broker. */
public interface Publisher {

    /** Publishes the messages; returns how many the broker accepted. */
    int publish(List<Publication> messages);
}
