package io.gridwire.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One namespace of {@link PostgresClusterService}: its advisory lock (second key: the namespace's hash), whether this
 * member holds it, and who does as last read from {@code pg_locks}.
 */
public final class PostgresClusterView extends AbstractCamelClusterView {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresClusterService.class);

    private final PostgresClusterService service;
    private final int key;
    private volatile boolean leader;
    private volatile String leaderId;
    private final Member local = new Member(null);

    PostgresClusterView(PostgresClusterService service, String namespace) {
        super(service, namespace);
        this.service = service;
        this.key = PostgresClusterService.lockKey(namespace);
    }

    @Override
    protected void doStart() {
        // a lone instance leads from its first start-up, not one interval later
        service.check(true);
    }

    @Override
    protected void doStop() {
        // the lock stays with the service's connection until the service stops (other views may share it)
    }

    @Override
    public Optional<CamelClusterMember> getLeader() {
        String id = leader ? service.getId() : leaderId;
        return id == null ? Optional.empty() : Optional.of(new Member(id));
    }

    @Override
    public CamelClusterMember getLocalMember() {
        return local;
    }

    @Override
    public List<CamelClusterMember> getMembers() {
        List<CamelClusterMember> out = new ArrayList<>();
        service.members().forEach(m -> out.add(new Member(m)));
        return out;
    }

    /** Whether this member leads the namespace. */
    public boolean isLeader() {
        return leader;
    }

    /** The leading member's id as last read; null when nobody leads (or PostgreSQL is unreachable). */
    public String leaderId() {
        return leader ? service.getId() : leaderId;
    }

    /** Checks of this follower in a row that found nobody holding the lock. */
    private int freeSeen;

    /** Takes the lock if free; true when this member now leads. */
    boolean tryLock(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            st.setInt(1, PostgresClusterService.LOCK_CLASS);
            st.setInt(2, key);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    leader = true;
                    leaderId = service.getId();
                    freeSeen = 0;
                    LOG.info("instance {} now leads {} (PostgreSQL advisory lock {}/{})", service.getId(), getNamespace(), PostgresClusterService.LOCK_CLASS, key);
                    return true;
                }
                return false;
            }
        }
    }

    /** Whether this session still holds the lock (false once PostgreSQL dropped the session's locks). */
    boolean holdsLock(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                + "AND pid = pg_backend_pid() AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 2")) {
            st.setLong(1, Integer.toUnsignedLong(PostgresClusterService.LOCK_CLASS));
            st.setLong(2, Integer.toUnsignedLong(key));
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        }
    }

    /**
     * Reads who holds the lock; true when this follower should try it: nobody held it on three checks in a row (or
     * once, {@code atOnce}).
     */
    boolean readLeader(Connection c, boolean atOnce) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT substr(a.application_name, ?) FROM pg_locks l "
                + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                + "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2")) {
            st.setInt(1, PostgresClusterService.APPLICATION_PREFIX.length() + 1);
            st.setLong(2, Integer.toUnsignedLong(PostgresClusterService.LOCK_CLASS));
            st.setLong(3, Integer.toUnsignedLong(key));
            try (ResultSet rs = st.executeQuery()) {
                String now = rs.next() ? rs.getString(1) : null;
                if (!java.util.Objects.equals(now, leaderId)) {
                    LOG.info("{} is led by {}", getNamespace(), now == null ? "nobody (a follower takes over within an interval)" : now);
                }
                leaderId = now;
                freeSeen = now == null ? freeSeen + 1 : 0;
                return now == null && (atOnce || freeSeen >= 3);
            }
        }
    }

    /** Stops leading (the caller then {@link #announce}s it); true if this member led. */
    boolean stepDown(String why) {
        leaderId = null;
        freeSeen = 0;
        if (leader) {
            leader = false;
            LOG.warn("instance {} no longer leads {}: {}", service.getId(), getNamespace(), why);
            return true;
        }
        return false;
    }

    /** Tells the listeners (master: consumers, families) this member's leadership changed. */
    void announce() {
        fireLeadershipChangedEvent(leader ? Optional.of(local) : Optional.empty());
    }

    private final class Member implements CamelClusterMember {
        private final String id;

        /** @param id the member's id; null for the local member (whose leadership is the view's) */
        Member(String id) {
            this.id = id;
        }

        @Override
        public String getId() {
            return id == null ? service.getId() : id;
        }

        @Override
        public boolean isLeader() {
            return id == null ? leader : id.equals(leaderId());
        }

        @Override
        public boolean isLocal() {
            return id == null || id.equals(service.getId());
        }
    }
}
