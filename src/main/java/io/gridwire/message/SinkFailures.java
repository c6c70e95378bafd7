package io.gridwire.message;

import io.gridwire.message.RedeliverLaterException;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

import com.influxdb.exceptions.InfluxException;

/**
 * Tells a sink that is unavailable (retry the same messages later) from a sink that rejects a message
 * (retrying cannot help: the message becomes a dead letter).
 */
public final class SinkFailures {

    private SinkFailures() {
    }

    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException || t instanceof SQLTransientException || t instanceof SQLRecoverableException
                || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
            // gridwire's own side not ready (a sink route stopped, a thread pool shutting down, an interrupted wait):
            // not the data's fault, so never a dead letter
            if (t instanceof RedeliverLaterException
                || t instanceof org.apache.camel.component.direct.DirectConsumerNotAvailableException
                || t instanceof java.util.concurrent.RejectedExecutionException || t instanceof InterruptedException
                || t instanceof org.apache.camel.RuntimeCamelException && t.getCause() instanceof InterruptedException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08 connection, 53 resources, 57 operator intervention (shutdown), 40 rollback, 55P03 lock
                // 25006 read-only transaction (a standby during failover), 25P02 transaction aborted
                if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
                    || state.startsWith("40") || state.equals("55P03") || state.equals("25006") || state.equals("25P02")) {
                    return true;
                }
                return false;
            }
            if (t instanceof InfluxException influx) {
                int status = influx.status();
                if (status == 0 || status == 429 || status >= 500) {
                    return true;
                }
                if (t.getCause() == null) {
                    return false;
                }
            }
            if (t instanceof org.apache.kafka.common.errors.RetriableException
                || t instanceof org.apache.kafka.common.errors.DisconnectException
                || t instanceof org.apache.kafka.common.errors.InterruptException) {
                return true;
            }
        }
        return false;
    }

    /** The innermost useful message of a failure, for logs and dead-letter reasons. */
    public static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return root == failure ? msg : failure.getClass().getSimpleName() + ": " + msg;
    }
}
