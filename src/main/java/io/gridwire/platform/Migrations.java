package io.gridwire.platform;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned SQL files in classpath:db/migration (V{n}__{name}.sql) that the database has not
 * seen yet, each in its own transaction, recorded in schema_migrations. An advisory lock keeps two
 * gridwire instances from migrating at once.
 */
public final class Migrations {

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
    private static final Pattern FILE = Pattern.compile("V(\\d+)__([\\w-]+)\\.sql");
    private static final long LOCK_ID = 0x67726964L; // "grid"

    private Migrations() {
    }

    public static void apply(DataSource dataSource) throws SQLException, IOException {
        TreeMap<Integer, Path> files = list();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_lock(" + LOCK_ID + ")");
            try {
                st.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                           + "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
                for (var entry : files.entrySet()) {
                    applyOne(c, entry.getKey(), entry.getValue());
                }
            } finally {
                st.execute("SELECT pg_advisory_unlock(" + LOCK_ID + ")");
            }
        }
    }

    private static void applyOne(Connection c, int version, Path file) throws SQLException, IOException {
        try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM schema_migrations WHERE version = ?")) {
            q.setInt(1, version);
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        String sql = Files.readString(file, StandardCharsets.UTF_8);
        Matcher m = FILE.matcher(file.getFileName().toString());
        m.matches();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement();
             PreparedStatement record = c.prepareStatement("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")) {
            st.execute(sql);
            record.setInt(1, version);
            record.setString(2, m.group(2));
            record.executeUpdate();
            c.commit();
            LOG.info("Applied database migration V{} {}", version, m.group(2));
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("Database migration " + file.getFileName() + " failed: " + e.getMessage(), e);
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static TreeMap<Integer, Path> list() throws IOException {
        URL url = Migrations.class.getClassLoader().getResource("db/migration");
        if (url == null) {
            throw new IOException("classpath:db/migration is missing");
        }
        try {
            if ("jar".equals(url.getProtocol())) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(url.toURI(), Collections.emptyMap());
                } catch (java.nio.file.FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(url.toURI());
                }
                return collect(fs.getPath("/db/migration"));
            }
            return collect(Path.of(url.toURI()));
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    private static TreeMap<Integer, Path> collect(Path dir) throws IOException {
        TreeMap<Integer, Path> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Matcher m = FILE.matcher(p.getFileName().toString());
                if (m.matches() && files.put(Integer.parseInt(m.group(1)), p) != null) {
                    throw new IOException("two migrations share version " + m.group(1));
                }
            }
        }
        return files;
    }
}
