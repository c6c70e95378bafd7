package io.gridwire.sink;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

/** The one way gridwire runs work in a PostgreSQL transaction: commit on return, rollback (kept visible) on failure. */
public final class Transactions {

    private Transactions() {
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work {
        void run(Connection c) throws SQLException;
    }

    /** Work inside one transaction that answers something and may throw a checked exception of its own. */
    @FunctionalInterface
    public interface Call<T, E extends Exception> {
        T run(Connection c) throws SQLException, E;
    }

    /**
     * Runs {@code work} in one transaction on a connection of {@code dataSource}: committed if it returns, rolled back
     * if it throws.
     *
     * @throws SQLException what the work or the commit threw (the rollback's own failure attached as suppressed)
     */
    public static void run(DataSource dataSource, Work work) throws SQLException {
        call(dataSource, c -> {
            work.run(c);
            return null;
        });
    }

    /**
     * Runs {@code work} in one transaction and returns its answer: committed if it returns, rolled back if it throws
     * anything (an {@code ApiException} refusing the request included).
     *
     * @throws SQLException what the work or the commit threw (the rollback's own failure attached as suppressed)
     * @throws E            the work's own checked exception
     */
    public static <T, E extends Exception> T call(DataSource dataSource, Call<T, E> work) throws SQLException, E {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T answer = work.run(c);
                c.commit();
                return answer;
            } catch (Exception e) {
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
