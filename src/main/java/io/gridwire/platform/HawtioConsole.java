package io.gridwire.platform;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

import org.apache.camel.support.service.ServiceSupport;
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
