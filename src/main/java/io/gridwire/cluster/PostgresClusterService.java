package io.gridwire.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Camel cluster service (what {@code master:} endpoints and route policies ask who leads) whose leader election is a
 * PostgreSQL session advisory lock, one per namespace, held on one connection of its own.
 * <ul>
 * <li>Every {@code cluster.checkIntervalMs} a follower tries {@code pg_try_advisory_lock}; the first to get it leads.
 * The leader checks its connection is alive: a session lock lasts as long as the session, so a live connection is a
 * lock still held; a connection that failed makes it step down at once (its routes stop) before anyone can take over.</li>
 * <li>A leader that dies (SIGKILL, crash, lost host) loses its lock when PostgreSQL sees its connection close, and a
 * follower takes it at its next check: failover within one interval after that.</li>
 * <li>Members are the sessions whose {@code application_name} is {@code gridwire-cluster/<instance id>} in the same
 * database; the leader is the one holding the lock ({@code pg_locks}). Instances of different databases never see each
 * other (advisory locks belong to a database).</li>
 * </ul>
 * Chosen over Camel's file-lock service (one host or a shared file system only) and its ZooKeeper, Consul, JGroups or
 * Infinispan ones (a service gridwire does not otherwise need): gridwire cannot work without PostgreSQL, and a leader
 * that loses PostgreSQL loses the lock with it, so it never leads while unable to do the singleton work.
 */
public class PostgresClusterService extends AbstractCamelClusterService<PostgresClusterService.View> {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresClusterService.class);
    /** The first key of every gridwire advisory lock ("grid"); the second is the namespace's hash. */
    static final int LOCK_CLASS = 0x67726964;
    /** application_name prefix of the election connections. */
    public static final String APPLICATION_PREFIX = "gridwire-cluster/";

    private final String url;
    private final Properties connectionProperties = new Properties();
    private final long checkIntervalMs;
    private final Map<String, View> views = new ConcurrentHashMap<>();
    private ScheduledExecutorService checker;
    /** Guarded by this. */
    private Connection connection;
    private volatile String problem = "not checked yet";
    private volatile List<String> members = List.of();

    /**
     * @param instanceId      this member's id (gridwire.instance-id): its name among the members
     * @param url             JDBC URL of gridwire's database (db.url)
     * @param checkIntervalMs ms between two checks (cluster.checkIntervalMs)
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
    protected View createView(String namespace) {
        View v = new View(namespace);
        views.put(namespace, v);
        return v;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gridwire-leader-election");
            t.setDaemon(true);
            return t;
        });
        checker.scheduleWithFixedDelay(this::checkSafely, checkIntervalMs, checkIntervalMs, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        if (checker != null) {
            checker.shutdownNow();
        }
        synchronized (this) {
            for (View v : views.values()) {
                v.stepDown("stopping");
            }
            closeConnection();
        }
        super.doStop();
    }

    /** Why this member cannot take part in the election right now (PostgreSQL unreachable); null when it can. */
    public String problem() {
        return problem;
    }

    /** The member ids PostgreSQL had sessions of at the last check, this one included. */
    public List<String> members() {
        return members;
    }

    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("leader election check failed: {}", e.toString());
        }
    }

    /** One round: (re)connect, the leader verifies its session, followers try the lock, members and leader read. */
    synchronized void check() {
        try {
            if (connection == null || !connection.isValid(5)) {
                if (connection != null) {
                    for (View v : views.values()) {
                        v.stepDown("its PostgreSQL session for the lock was lost");
                    }
                    closeConnection();
                }
                connection = DriverManager.getConnection(url, connectionProperties);
            }
            for (View v : views.values()) {
                if (!v.leader) {
                    v.tryLock(connection);
                }
                v.readLeader(connection);
            }
            members = readMembers(connection);
            problem = null;
        } catch (SQLException e) {
            problem = "cannot reach PostgreSQL for the leader election: " + e.getMessage();
            for (View v : views.values()) {
                v.stepDown(problem);
            }
            closeConnection();
        }
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

    /** One namespace: its lock, whether this member holds it, who does. */
    public final class View extends AbstractCamelClusterView {

        private final int key;
        private volatile boolean leader;
        private volatile String leaderId;
        private final Member local = new Member(null);

        View(String namespace) {
            super(PostgresClusterService.this, namespace);
            this.key = lockKey(namespace);
        }

        @Override
        protected void doStart() {
            // a lone instance leads from its first start-up, not one interval later
            check();
        }

        @Override
        protected void doStop() {
            // the lock stays with the service's connection until the service stops (other views may share it)
        }

        @Override
        public Optional<CamelClusterMember> getLeader() {
            String id = leader ? getId() : leaderId;
            return id == null ? Optional.empty() : Optional.of(new Member(id));
        }

        @Override
        public CamelClusterMember getLocalMember() {
            return local;
        }

        @Override
        public List<CamelClusterMember> getMembers() {
            List<CamelClusterMember> out = new ArrayList<>();
            members.forEach(m -> out.add(new Member(m)));
            return out;
        }

        /** Whether this member leads the namespace. */
        public boolean isLeader() {
            return leader;
        }

        /** The leading member's id as last read; null when nobody leads (or PostgreSQL is unreachable). */
        public String leaderId() {
            return leader ? getId() : leaderId;
        }

        void tryLock(Connection c) throws SQLException {
            try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
                st.setInt(1, LOCK_CLASS);
                st.setInt(2, key);
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        leader = true;
                        LOG.info("instance {} now leads {} (PostgreSQL advisory lock {}/{})", getId(), getNamespace(), LOCK_CLASS, key);
                        fireLeadershipChangedEvent(local);
                    }
                }
            }
        }

        void readLeader(Connection c) throws SQLException {
            try (PreparedStatement st = c.prepareStatement("SELECT substr(a.application_name, ?) FROM pg_locks l "
                    + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    + "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2")) {
                st.setInt(1, APPLICATION_PREFIX.length() + 1);
                st.setLong(2, Integer.toUnsignedLong(LOCK_CLASS));
                st.setLong(3, Integer.toUnsignedLong(key));
                try (ResultSet rs = st.executeQuery()) {
                    String now = rs.next() ? rs.getString(1) : null;
                    if (!leader && !java.util.Objects.equals(now, leaderId)) {
                        LOG.info("{} is led by {}", getNamespace(), now == null ? "nobody (a follower takes over at its next check)" : now);
                    }
                    leaderId = now;
                }
            }
        }

        void stepDown(String why) {
            leaderId = null;
            if (leader) {
                leader = false;
                LOG.warn("instance {} no longer leads {}: {}", getId(), getNamespace(), why);
                fireLeadershipChangedEvent(Optional.empty());
            }
        }

        private final class Member implements CamelClusterMember {
            private final String id;

            /** @param id the member's id; null for the local member (whose leadership is the view's) */
            Member(String id) {
                this.id = id;
            }

            @Override
            public String getId() {
                return id == null ? PostgresClusterService.this.getId() : id;
            }

            @Override
            public boolean isLeader() {
                return id == null ? leader : id.equals(leaderId());
            }

            @Override
            public boolean isLocal() {
                return id == null || id.equals(PostgresClusterService.this.getId());
            }
        }
    }
}
