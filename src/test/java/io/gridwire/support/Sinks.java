package io.gridwire.support;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads what landed in the real sinks: PostgreSQL rows, InfluxDB-API points (QuestDB) and Kafka records. */
public final class Sinks {

    static final String DB_USER = env("DB_USER", "gridwire");
    static final String DB_PASSWORD = env("DB_PASSWORD", "gridwire");
    static final String QUESTDB = env("QUESTDB_URL", "http://localhost:9000");
    static final String KAFKA = env("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");

    private static final ObjectMapper JSON = new ObjectMapper();

    private Sinks() {
    }

    public static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    /** Rows of a query with bound parameters, each as column -> value. */
    public static List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection c = DriverManager.getConnection(TestRun.databaseUrl(), DB_USER, DB_PASSWORD);
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes the mock and registry devices tests created (ids or names starting with t-), so later runs don't simulate them. */
    public static void removeTestDevices() {
        rows("DELETE FROM mock_devices WHERE id LIKE 't-%' OR name LIKE 't-%' OR id LIKE 'mock-real-t-%' RETURNING id");
        rows("DELETE FROM devices WHERE name LIKE 't-%' RETURNING id");
    }

    /** Removes the PDUs whose name starts with {@code prefix} (tests name theirs t-...), with their sockets. */
    public static void removeTestPdus(String prefix) {
        rows("DELETE FROM pdu.sockets WHERE pdu_id IN (SELECT id FROM pdu.power_distribution_units WHERE name LIKE ?) RETURNING id",
                prefix + "%");
        rows("DELETE FROM pdu.power_distribution_units WHERE name LIKE ? RETURNING id", prefix + "%");
    }

    public static long count(String sql, Object... params) {
        return ((Number) rows(sql, params).get(0).values().iterator().next()).longValue();
    }

    /** Points in the TSDB (QuestDB SQL over HTTP), each as column -> JSON value. */
    public static List<Map<String, JsonNode>> points(String sql) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    QUESTDB + "/exec?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode root = JSON.readTree(r.body());
            if (root.has("error")) {
                throw new IllegalStateException("QuestDB: " + root.get("error").asText());
            }
            List<String> columns = new ArrayList<>();
            root.get("columns").forEach(c -> columns.add(c.get("name").asText()));
            List<Map<String, JsonNode>> out = new ArrayList<>();
            for (JsonNode row : root.get("dataset")) {
                Map<String, JsonNode> m = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    m.put(columns.get(i), row.get(i));
                }
                out.add(m);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads a Kafka topic from the offsets it had when this reader was made. */
    public static final class KafkaReader implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;
        private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        private final Map<TopicPartition, Long> start = new HashMap<>();

        public KafkaReader(String topic) {
            Properties p = new Properties();
            p.put("bootstrap.servers", KAFKA);
            p.put("key.deserializer", StringDeserializer.class.getName());
            p.put("value.deserializer", StringDeserializer.class.getName());
            p.put("enable.auto.commit", "false");
            p.put("max.poll.records", "5000");
            ensureTopic(topic);
            consumer = new KafkaConsumer<>(p);
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(tp -> start.put(tp, consumer.position(tp))); // fix the start offsets now
        }

        /** Records written to the topic since this reader was made (anyone's; end offsets only, nothing is read). */
        public synchronized long written() {
            return consumer.endOffsets(start.keySet()).entrySet().stream()
                    .mapToLong(e -> e.getValue() - start.get(e.getKey())).sum();
        }

        /** On a fresh broker the topic appears only with gridwire's first record: create it, as auto-create would. */
        private static void ensureTopic(String topic) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA))) {
                if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())))
                            .all().get(30, TimeUnit.SECONDS);
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(e);
                }
            } catch (InterruptedException | TimeoutException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Every record read so far (polls once more first) whose key starts with the prefix. */
        public synchronized List<ConsumerRecord<String, String>> records(String keyPrefix) {
            // drain what is there now (one short poll after another), then filter
            for (int got = -1; got != 0; ) {
                var batch = consumer.poll(Duration.ofMillis(got < 0 ? 500 : 50));
                got = batch.count();
                batch.forEach(seen::add);
            }
            return seen.stream().filter(r -> r.key() != null && r.key().startsWith(keyPrefix)).toList();
        }

        public static Map<String, String> headers(ConsumerRecord<String, String> r) {
            Map<String, String> m = new HashMap<>();
            r.headers().forEach(h -> m.put(h.key(), new String(h.value(), StandardCharsets.UTF_8)));
            return m;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
