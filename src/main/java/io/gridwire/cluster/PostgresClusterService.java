package io.gridwire.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Camel cluster service (what {@code master:} endpoints and route policies ask who leads) whose leader election is a
 * PostgreSQL session advisory lock, one per namespace, held on one connection of its own.
 * <ul>
 * <li>The election runs every half {@code cluster.checkIntervalMs}. The leader checks that its session still holds the
 * lock ({@code pg_locks}); a failed check or connection makes it step down (its singleton routes stop).</li>
 * <li>A follower tries {@code pg_try_advisory_lock} only once it has seen nobody holding the lock on three checks in a
 * row (a full interval): by then a leader whose session PostgreSQL dropped (a restart, {@code pg_terminate_backend})
 * has run two checks of its own and stepped down. One exception: an instance starting tries at once, so a lone
 * instance leads from its start-up.</li>
 * <li>A leader that dies (SIGKILL, crash) loses its lock when PostgreSQL sees its connection close; a lost host when
 * the server's TCP keepalive gives up on it, set on the election session to about 10 s ({@code tcp_keepalives_*},
 * {@code tcp_user_timeout}). Failover: that, plus one interval.</li>
 * <li>Members are the sessions whose {@code application_name} is {@code gridwire-cluster/<instance id>} in the same
 * database; the leader is the one holding the lock ({@code pg_locks}). Instances of different databases never see each
 * other (advisory locks belong to a database).</li>
 * </ul>
 * The lock needs a real session: behind a pooler in transaction mode (PgBouncer) point {@code db.url} at PostgreSQL
 * itself. Chosen over Camel's file-lock service (one host or a shared file system only) and its ZooKeeper, Consul, JGroups or
 * Infinispan ones (a service gridwire does not otherwise need): gridwire cannot work without PostgreSQL, and a leader
 * that loses PostgreSQL loses the lock with it, so it never leads while unable to do the singleton work.
 */
public class PostgresClusterService extends AbstractCamelClusterService<PostgresClusterView> {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresClusterService.class);
    /** The first key of every gridwire advisory lock ("grid"); the second is the namespace's hash. */
    static final int LOCK_CLASS = 0x67726964;
    /** application_name prefix of the election connections. */
    public static final String APPLICATION_PREFIX = "gridwire-cluster/";

    private final String url;
    private final Properties connectionProperties = new Properties();
    private final long checkIntervalMs;
    private final Map<String, PostgresClusterView> views = new ConcurrentHashMap<>();
    private ScheduledExecutorService checker;
    /** Guarded by this. */
    private Connection connection;
    private volatile String problem = "not checked yet";
    private volatile List<String> members = List.of();
    /** Set when the context stops: no check takes the lock again. */
    private volatile boolean stopped;

    /**
     * @param instanceId      this member's id (gridwire.instance-id): its name among the members
     * @param url             JDBC URL of gridwire's database (db.url)
     * @param user            the database user (db.user)
     * @param password        its password (db.password)
     * @param checkIntervalMs the election interval in ms (cluster.checkIntervalMs): checks run every half of it
     */
    public PostgresClusterService(String instanceId, String url, String user, String password, long checkIntervalMs) {
        super(instanceId);
        this.url = url;
        this.checkIntervalMs = checkIntervalMs;
        connectionProperties.setProperty("user", user);
        connectionProperties.setProperty("password", password);
        connectionProperties.setProperty("ApplicationName", APPLICATION_PREFIX + instanceId);
        connectionProperties.setProperty("connectTimeout", "5");
        connectionProperties.setProperty("socketTimeout", "10");
        // a half-open connection (the host gone) is noticed by TCP keepalive, not only by the next check
        connectionProperties.setProperty("tcpKeepAlive", "true");
    }

    @Override
    protected PostgresClusterView createView(String namespace) {
        PostgresClusterView v = new PostgresClusterView(this, namespace);
        views.put(namespace, v);
        return v;
    }

    @Override
    protected void doStart() throws Exception {
        stopped = false;
        super.doStart();
        checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gridwire-leader-election");
            t.setDaemon(true);
            return t;
        });
        long half = Math.max(1, checkIntervalMs / 2);
        checker.scheduleWithFixedDelay(this::checkSafely, half, half, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        resign();
        if (checker != null) {
            checker.shutdownNow();
            checker.awaitTermination(10, TimeUnit.SECONDS);
        }
        super.doStop();
    }

    /**
     * Gives up leadership for good (gridwire stopping): the singleton routes stop here and the lock is released at once,
     * so a follower takes over while this instance still drains its messages.
     */
    public void resign() {
        stopped = true;
        List<PostgresClusterView> stepped = new ArrayList<>();
        synchronized (this) {
            for (PostgresClusterView v : views.values()) {
                if (v.stepDown("stopping")) {
                    stepped.add(v);
                }
            }
            closeConnection();
        }
        stepped.forEach(PostgresClusterView::announce);
    }

    /**
     * Why this member cannot take part in the election right now (PostgreSQL unreachable, not checked yet); null when
     * it can.
     */
    public String problem() {
        return problem;
    }

    /** The member ids PostgreSQL had sessions of at the last check, this one included. */
    public List<String> members() {
        return members;
    }

    private void checkSafely() {
        try {
            check(false);
        } catch (RuntimeException e) {
            LOG.warn("leader election check failed: {}", e.toString());
        }
    }

    /**
     * One round: (re)connect, the leader verifies it still holds the lock, a follower tries it once it has seen it free
     * long enough ({@code atOnce}: at the first check), then members and leader are read. Leadership events are
     * fired after leaving this object's monitor.
     */
    void check(boolean atOnce) {
        List<PostgresClusterView> changed = new ArrayList<>();
        synchronized (this) {
            if (stopped) {
                return;
            }
            try {
                if (connection == null || !connection.isValid(5)) {
                    if (connection != null) {
                        stepDownAll("its PostgreSQL session for the lock was lost", changed);
                        closeConnection();
                    }
                    connection = connect();
                }
                for (PostgresClusterView v : views.values()) {
                    if (v.isLeader() ? !v.holdsLock(connection) && v.stepDown("PostgreSQL no longer has its lock")
                            : v.readLeader(connection, atOnce) && v.tryLock(connection)) {
                        changed.add(v);
                    }
                }
                members = readMembers(connection);
                problem = null;
            } catch (SQLException e) {
                problem = "cannot reach PostgreSQL for the leader election: " + e.getMessage();
                stepDownAll(problem, changed);
                closeConnection();
            }
        }
        changed.forEach(PostgresClusterView::announce);
    }

    private void stepDownAll(String why, List<PostgresClusterView> changed) {
        for (PostgresClusterView v : views.values()) {
            if (v.stepDown(why)) {
                changed.add(v);
            }
        }
    }

    /** The election's own session, with server-side keepalives so PostgreSQL drops a vanished leader within ~10 s. */
    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url, connectionProperties);
        try (var st = c.createStatement()) {
            st.execute("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3; "
                       + "SET tcp_user_timeout = 10000");
        } catch (SQLException e) {
            LOG.debug("server-side keepalives not set on the election session: {}", e.getMessage());
        }
        return c;
    }

    private List<String> readMembers(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement st = c.prepareStatement("SELECT substr(application_name, ?) FROM pg_stat_activity "
                + "WHERE datname = current_database() AND application_name LIKE ? ORDER BY 1")) {
            st.setInt(1, APPLICATION_PREFIX.length() + 1);
            st.setString(2, APPLICATION_PREFIX + "%");
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return List.copyOf(out);
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the leader election connection: {}", e.getMessage());
            }
            connection = null;
        }
    }

    /** The lock's second key for a namespace. */
    static int lockKey(String namespace) {
        return namespace.hashCode();
    }

}
