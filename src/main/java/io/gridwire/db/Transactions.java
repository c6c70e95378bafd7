package io.gridwire.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Transaction helpers. */
public final class Transactions {

    private Transactions() {
    }

    /**
     * Rolls back after a failure without hiding it: if the connection is already broken, the rollback's own error is
     * attached to the original failure (which says what really happened, e.g. that the database went away).
     */
    public static void rollback(Connection c, Exception failure) {
        try {
            c.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
