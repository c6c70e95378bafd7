package io.gridwire.cluster;

import java.util.List;
import java.util.function.Consumer;

import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;

/**
 * Who leads gridwire's singleton work, namespace {@value #NAMESPACE} of the context's cluster service: the routes
 * {@code master:gridwire:...} run on the leader only, and families ask here (or listen) for work that is not a route
 * (loading the simulator's fleet, the PDU socket brokers' connections).
 */
public final class Leadership {

    /** The one namespace of gridwire's singleton routes ({@code master:gridwire:<endpoint>}): one leader for all. */
    public static final String NAMESPACE = "gridwire";

    private final CamelClusterService service;
    private final CamelClusterView view;

    /**
     * @param service the context's cluster service (PostgreSQL advisory lock or Kubernetes Lease)
     * @throws IllegalStateException when the service cannot give the namespace's view
     */
    public Leadership(CamelClusterService service) {
        this.service = service;
        try {
            this.view = service.getView(NAMESPACE);
        } catch (Exception e) {
            throw new IllegalStateException("cluster service " + service.getId() + " has no view of " + NAMESPACE + ": " + e.getMessage(), e);
        }
    }

    /** Whether this instance leads now. */
    public boolean isLeader() {
        return view.getLocalMember().isLeader();
    }

    /** The leading instance's id; null while nobody leads (the election is between two checks, or unreachable). */
    public String leaderId() {
        return view.getLeader().map(CamelClusterMember::getId).orElse(null);
    }

    /** The ids of the instances taking part, as the service last saw them. */
    public List<String> members() {
        return view.getMembers().stream().map(CamelClusterMember::getId).sorted().toList();
    }

    /** This instance's id in the election. */
    public String localId() {
        return view.getLocalMember().getId();
    }

    /** How the leader is elected, for the start-up block and health details ("PostgreSQL advisory lock", ...). */
    public String mechanism() {
        if (service instanceof PostgresClusterService) {
            return "PostgreSQL advisory lock";
        }
        return service.getClass().getSimpleName().startsWith("Kubernetes") ? "Kubernetes Lease" : service.getClass().getSimpleName();
    }

    /** Why the election cannot run right now (PostgreSQL unreachable); null when it can or the service does not say. */
    public String problem() {
        return service instanceof PostgresClusterService p ? p.problem() : null;
    }

    /**
     * Calls {@code listener} with whether this instance leads, on every leadership event of the namespace: when this
     * instance becomes leader or stops leading (the same value may come twice; a Kubernetes view also calls it on
     * other members' changes). It runs on the election's thread: hand long work to another.
     */
    public void onChange(Consumer<Boolean> listener) {
        view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) -> listener.accept(v.getLocalMember().isLeader()));
    }
}
