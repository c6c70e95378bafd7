package io.gridwire.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.support.service.ServiceSupport;
import org.eclipse.jetty.ee10.servlet.ResourceServlet;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hawtio route console: Hawtio's war (Hawtio 4, with its own Jolokia agent reading this JVM's MBeans, Camel's
 * among them) in an embedded Jetty on a port of its own. Logins go through JAAS to {@link HawtioLogin}, against
 * the configured user and password; Jolokia obeys the policy in {@code hawtio/jolokia-access.xml}.
 */
public final class HawtioConsole extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(HawtioConsole.class);
    /** JAAS realm Hawtio logs users in with. */
    static final String REALM = "gridwire";
    /** The role a Hawtio user gets, and the only role Hawtio lets in. */
    static final String ROLE = "admin";
    /** Where Hawtio 4's Source view loads the Monaco editor from. */
    static final String EDITOR_CDN = "https://cdn.jsdelivr.net/npm/monaco-editor@0.43.0/min/vs";

    /** How the console is served and who may log in. */
    public record Settings(String host, int port, Path war, boolean authentication, String user, String password) {
    }

    private final Settings settings;
    private Server server;
    private volatile String state = "not started";

    public HawtioConsole(Settings settings) {
        this.settings = settings;
    }

    /** A short state for the start-up banner: the URL it serves, or why not. */
    public String state() {
        return state;
    }

    @Override
    protected void doStart() throws Exception {
        if (!Files.isRegularFile(settings.war())) {
            state = "not started: no Hawtio war at " + settings.war().toAbsolutePath();
            LOG.error("Hawtio console {} (build with mvn package, or set HAWTIO_WAR)", state);
            return;
        }
        if (settings.authentication() && (settings.user().isBlank() || settings.password().isBlank())) {
            throw new IllegalArgumentException("hawtio.authentication is on but hawtio.user or hawtio.password is empty: "
                    + "set HAWTIO_USER and HAWTIO_PASSWORD, or HAWTIO_AUTHENTICATION=false for a local console");
        }
        // Hawtio and its Jolokia read their settings from system properties; this JVM serves one console.
        System.setProperty("hawtio.authenticationEnabled", String.valueOf(settings.authentication()));
        System.setProperty("hawtio.realm", REALM);
        System.setProperty("hawtio.roles", ROLE);
        System.setProperty("hawtio.rolePrincipalClasses", HawtioLogin.Role.class.getName());
        System.setProperty("hawtio.offline", "true");
        System.setProperty("jolokia.policyLocation", "classpath:/hawtio/jolokia-access.xml");
        if (settings.authentication()) {
            HawtioLogin.configure(settings.user(), settings.password());
            Configuration.setConfiguration(new RealmConfiguration(Configuration.getConfiguration()));
        }

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/hawtio");
        webapp.setWar(settings.war().toAbsolutePath().toString());
        webapp.setThrowUnavailableOnStartupException(true);
        // the war brings its own Jolokia: never mix it with a copy on gridwire's class path; its logging goes
        // through gridwire's (one format, one configuration)
        webapp.getHiddenClassMatcher().add("org.jolokia.");
        webapp.getProtectedClassMatcher().add("org.slf4j.");
        webapp.getProtectedClassMatcher().add("org.apache.logging.log4j.");
        try {
            serveEditorLocally(webapp, settings.war());
        } catch (IOException | RuntimeException e) {
            LOG.warn("Hawtio console: cannot serve the Source view's editor from gridwire ({}); it loads it from {}", e.toString(), EDITOR_CDN);
        }

        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        server.setHandler(webapp);
        server.setStopAtShutdown(false);
        try {
            server.start();
        } catch (Exception e) {
            state = "not started: " + e.getMessage();
            LOG.error("Hawtio console could not start on {}:{}: {}", settings.host(), settings.port(), e.toString());
            server.stop();
            server = null;
            return;
        }
        state = "http://localhost:" + connector.getLocalPort() + "/hawtio/ ("
                + (settings.authentication() ? "login as " + settings.user() : "no login: authentication off") + ")";
        LOG.info("Hawtio console at {}", state);
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /**
     * Hawtio's Source view loads its editor, Monaco, from {@link #EDITOR_CDN}: a browser without internet access would
     * show no source. gridwire serves Monaco itself (unpacked by the build into {@code monaco/vs} beside the war) at
     * {@code /hawtio/static/monaco/vs} (paths outside static/ are Hawtio's client routes), and serves the one script of
     * the war that names the CDN with that path instead. Without the unpacked editor, or a war whose scripts no longer
     * name the CDN, the console stays as Hawtio ships it (the log says so).
     */
    private static void serveEditorLocally(WebAppContext webapp, Path war) throws IOException {
        Path editor = war.toAbsolutePath().getParent().resolve("monaco");
        if (!Files.isRegularFile(editor.resolve("vs/loader.js"))) {
            LOG.warn("Hawtio console: no Monaco editor at {}; the Source view loads it from {} (needs internet)", editor, EDITOR_CDN);
            return;
        }
        String script = null;
        byte[] patched = null;
        try (ZipFile zip = new ZipFile(war.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                if (e.getName().startsWith("static/js/") && e.getName().endsWith(".js")) {
                    String text = new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
                    if (text.contains(EDITOR_CDN)) {
                        script = "/" + e.getName();
                        patched = text.replace(EDITOR_CDN, "/hawtio/static/monaco/vs").getBytes(StandardCharsets.UTF_8);
                        break;
                    }
                }
            }
        }
        if (script == null) {
            LOG.warn("Hawtio console: no script of {} names {}; the Source view's editor is loaded as Hawtio decides", war, EDITOR_CDN);
            return;
        }
        ServletHolder files = new ServletHolder("gridwire-editor-files", ResourceServlet.class);
        files.setInitParameter("baseResource", editor.toUri().toString());
        files.setInitParameter("dirAllowed", "false");
        files.setInitParameter("cacheControl", "max-age=86400");
        webapp.addServlet(files, "/static/monaco/*");
        webapp.addServlet(new ServletHolder("gridwire-editor-loader", new FixedScript(patched)), script);
        LOG.debug("Hawtio console: Monaco served from {}, {} patched to load it", editor, script);
    }

    /** One JavaScript file held in memory. */
    private static final class FixedScript extends HttpServlet {
        private final transient byte[] body;

        FixedScript(byte[] body) {
            this.body = body;
        }

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.setContentType("application/javascript;charset=utf-8");
            response.setHeader("Cache-Control", "max-age=86400");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }
    }

    /** Adds the gridwire realm to whatever JAAS configuration the JVM has. */
    private static final class RealmConfiguration extends Configuration {
        private final Configuration fallback;

        RealmConfiguration(Configuration fallback) {
            this.fallback = fallback;
        }

        @Override
        public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
            if (REALM.equals(name)) {
                return new AppConfigurationEntry[] {new AppConfigurationEntry(HawtioLogin.class.getName(),
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, java.util.Map.of())};
            }
            return fallback == null ? null : fallback.getAppConfigurationEntry(name);
        }
    }
}
