package io.gridwire.platform;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.gridwire.mqtt.DeferredConnectMqttClient;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * A Camel health check (group gridwire) of one real dependency: DOWN with the reason as its message while the
 * dependency is unreachable, so /observe/health answers 503 and says why. A readiness check: a dependency that is
 * down makes gridwire not ready (nothing is lost, messages wait unacked), it does not make gridwire dead.
 */
public final class DependencyCheck extends AbstractHealthCheck {

    /** Looks at the dependency: null when it is fine, else the reason; may add details. */
    @FunctionalInterface
    public interface Probe {
        String problem(Map<String, Object> details) throws Exception;
    }

    /** What is wrong with the topics gridwire writes, asked through a Kafka admin client; null when nothing. */
    @FunctionalInterface
    public interface TopicsProbe {
        String problem(Admin admin) throws Exception;
    }

    private final Probe probe;

    public DependencyCheck(String id, Probe probe) {
        super("gridwire", id);
        this.probe = probe;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Map<String, Object> details = new LinkedHashMap<>();
        String problem;
        try {
            problem = probe.problem(details);
        } catch (Exception e) {
            problem = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        details.forEach(builder::detail);
        if (problem == null) {
            builder.up();
        } else {
            builder.message(problem).down();
        }
    }

    /** Whether the dependency answers right now (its probe finds no problem). */
    public boolean reachable() {
        try {
            return probe.problem(new LinkedHashMap<>()) == null;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Tells whether the sink that raised a failure answered it and answers right now: a failure without an answer (a
     * refused or lost connection) is never one; otherwise, from the failure's kind, a PostgreSQL error asks
     * {@code postgresql}, an InfluxDB API error {@code influxdb}, a Kafka error {@code kafka} (see
     * {@link io.gridwire.sink.SinkPipeline#setSinkAnswering}). A failure of another kind: false (not known to answer).
     *
     * @return a predicate over a failure (with its causes), true when the sink it names is reachable
     */
    public static java.util.function.Predicate<Throwable> sinkAnswering(DependencyCheck postgresql, DependencyCheck influxdb,
                                                                        DependencyCheck kafka) {
        return failure -> {
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                // no answer about this message (refused, reset, timed out, unreachable, no pooled connection; a lock,
                // deadlock, serialization or statement-timeout conflict; a partition without leader or replicas; a
                // TSDB that is overloaded or behind a gateway): the sink's state, not the message's doing, whatever
                // the probe says a moment later
                if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException
                    || t instanceof java.net.UnknownHostException || t instanceof java.net.SocketException
                    || t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.sql.SQLTransientConnectionException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof java.sql.SQLException s && s.getSQLState() != null && noVerdict(s.getSQLState())
                    || t instanceof org.apache.kafka.common.errors.RetriableException
                    || t instanceof com.influxdb.exceptions.InfluxException i
                       && (i.status() == 0 || i.status() == 429 || i.status() >= 502 && i.status() <= 504)) {
                    return false;
                }
            }
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof java.sql.SQLException) {
                    return postgresql.reachable();
                }
                if (t instanceof com.influxdb.exceptions.InfluxException) {
                    return influxdb.reachable();
                }
                if (t instanceof org.apache.kafka.common.KafkaException) {
                    return kafka.reachable();
                }
            }
            return false;
        };
    }

    /** SQLStates that say nothing about the message: connection, resources, operator, lock and conflict classes. */
    private static boolean noVerdict(String state) {
        return state.startsWith("08") || state.startsWith("53") || state.startsWith("57") || state.startsWith("40")
               || state.equals("55P03");
    }

    /** host:port[/path] of a URL: Camel's health JSON escapes '/' twice, so messages name places without the scheme. */
    static String where(String url) {
        String rest = url.replaceFirst("^(jdbc:)?[a-zA-Z0-9+.-]+://", "").replaceFirst("[?;].*$", "");
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash) + " (" + rest.substring(slash + 1).replace('/', ' ') + ")";
    }

    /** An MQTT connection gridwire subscribes with. */
    public static DependencyCheck mqtt(String id, DeferredConnectMqttClient client) {
        return mqtt(id, client, () -> null);
    }

    /**
     * An MQTT connection only the leader holds: UP with detail {@code standby} (naming the leader) while this instance
     * does not lead, else as {@link #mqtt(String, DeferredConnectMqttClient)}.
     *
     * @param standby null while this instance should hold the connection, else why it does not
     */
    public static DependencyCheck mqtt(String id, DeferredConnectMqttClient client, java.util.function.Supplier<String> standby) {
        return new DependencyCheck(id, details -> {
            String away = standby.get();
            if (away != null) {
                details.put("standby", away);
                return null;
            }
            details.put("broker", client.getServerURI());
            details.put("client_id", client.getClientId());
            if (client.isConnected()) {
                // connected, but another connection with this client id keeps taking the session: say so
                String takeover = client.takeoverProblem();
                return takeover == null ? null : "MQTT client " + client.getClientId() + ": " + takeover;
            }
            String error = client.lastError();
            return "MQTT client " + client.getClientId() + " not connected to " + where(client.getServerURI())
                    + (error == null ? "" : ": " + error);
        });
    }

    /**
     * A URL as shown in logs and health details: the value of every parameter whose name holds "password" (a JDBC
     * URL's password or sslpassword) replaced by ****.
     */
    public static String redacted(String url) {
        return url == null ? null : url.replaceAll("(?i)([?&;][a-z_]*password=)[^&;]*", "$1****");
    }

    /** PostgreSQL: a pooled connection that answers within 2 s; {@code url} is shown redacted. */
    public static DependencyCheck postgresql(DataSource dataSource, String url) {
        return new DependencyCheck("postgresql", details -> {
            details.put("url", redacted(url));
            try (Connection c = dataSource.getConnection()) {
                return c.isValid(2) ? null : "PostgreSQL at " + where(url) + " did not answer within 2 s";
            } catch (java.sql.SQLException e) {
                return "PostgreSQL at " + where(url) + " unreachable: " + e.getMessage();
            }
        });
    }

    /**
     * Kafka: the cluster can be described within 3 s, and every topic gridwire writes exists.
     *
     * @param kafka         the bootstrap servers and security settings of the check's admin client
     * @param topicsProblem given the check's admin client: null while every topic gridwire writes exists, else which
     *                      are missing and why
     */
    public static DependencyCheck kafka(io.gridwire.sink.KafkaClients kafka, TopicsProbe topicsProblem) {
        String bootstrap = kafka.bootstrap();
        Admin[] admin = new Admin[1];
        return new DependencyCheck("kafka", details -> {
            details.put("bootstrap_servers", bootstrap);
            synchronized (admin) {
                if (admin[0] == null) {
                    admin[0] = kafka.admin(2000, 3000);
                }
            }
            try {
                details.put("nodes", admin[0].describeCluster(new DescribeClusterOptions().timeoutMs(2500)).nodes()
                        .get(3, TimeUnit.SECONDS).size());
                return topicsProblem.problem(admin[0]);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                return "Kafka at " + bootstrap + " unreachable: " + cause.getClass().getSimpleName()
                        + (cause.getMessage() == null ? "" : " " + cause.getMessage());
            }
        });
    }

    /**
     * The InfluxDB v2 API (QuestDB locally): GET /ping answers 2xx within 3 s; an https:// url is verified with
     * {@code tls} (null: the JVM's CAs).
     */
    public static DependencyCheck influxdb(String url, javax.net.ssl.SSLContext tls) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        if (tls != null) {
            builder.sslContext(tls);
        }
        HttpClient http = builder.build();
        URI ping = URI.create(url.replaceAll("/+$", "") + "/ping");
        return new DependencyCheck("influxdb", details -> {
            details.put("url", url);
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(ping).timeout(Duration.ofSeconds(3)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return r.statusCode() / 100 == 2 ? null : "InfluxDB API at " + where(url) + " answered " + r.statusCode() + " to ping";
            } catch (java.io.IOException e) {
                return "InfluxDB API at " + where(url) + " unreachable: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage());
            }
        });
    }
}
