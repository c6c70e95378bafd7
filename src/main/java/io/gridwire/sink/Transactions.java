package io.gridwire.sink;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

/** Transaction helpers. */
public final class Transactions {

    private Transactions() {
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work {
        void run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction on a connection of {@code dataSource}: committed if it returns, rolled back
     * if it throws.
     *
     * @throws SQLException what the work or the commit threw (the rollback's own failure attached as suppressed)
     */
    public static void run(DataSource dataSource, Work work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                work.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        }
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
