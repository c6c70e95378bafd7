package io.gridwire.platform;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;
import java.util.Map;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import javax.security.auth.spi.LoginModule;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JAAS login of the Hawtio console: one user, from the configuration (HAWTIO_USER / HAWTIO_PASSWORD), compared
 * in constant time; a successful login carries the {@link Role} Hawtio requires.
 */
public final class HawtioLogin implements LoginModule {

    private static final Logger LOG = LoggerFactory.getLogger(HawtioLogin.class);
    private static volatile String user;
    private static volatile byte[] password;

    private Subject subject;
    private CallbackHandler callbacks;
    private String loggedIn;

    static void configure(String configuredUser, String configuredPassword) {
        user = configuredUser;
        password = configuredPassword.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState, Map<String, ?> options) {
        this.subject = subject;
        this.callbacks = callbackHandler;
    }

    @Override
    public boolean login() throws LoginException {
        NameCallback name = new NameCallback("user");
        PasswordCallback pass = new PasswordCallback("password", false);
        try {
            callbacks.handle(new Callback[] {name, pass});
        } catch (Exception e) {
            throw new LoginException("cannot read the credentials: " + e.getMessage());
        }
        String offeredUser = name.getName() == null ? "" : name.getName();
        char[] offered = pass.getPassword() == null ? new char[0] : pass.getPassword();
        pass.clearPassword();
        boolean userOk = MessageDigest.isEqual(offeredUser.getBytes(StandardCharsets.UTF_8),
                user == null ? new byte[0] : user.getBytes(StandardCharsets.UTF_8));
        boolean passOk = MessageDigest.isEqual(new String(offered).getBytes(StandardCharsets.UTF_8),
                password == null ? new byte[0] : password);
        if (!(userOk && passOk) || user == null) {
            LOG.warn("Hawtio login refused for user '{}'", offeredUser.replaceAll("[^\\x20-\\x7e]", "?"));
            throw new FailedLoginException("wrong user or password");
        }
        loggedIn = offeredUser;
        LOG.info("Hawtio login: {}", offeredUser);
        return true;
    }

    @Override
    public boolean commit() {
        if (loggedIn == null) {
            return false;
        }
        subject.getPrincipals().add(new User(loggedIn));
        subject.getPrincipals().add(new Role(HawtioConsole.ROLE));
        return true;
    }

    @Override
    public boolean abort() {
        loggedIn = null;
        return true;
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeIf(p -> p instanceof User || p instanceof Role);
        loggedIn = null;
        return true;
    }

    /** The logged-in user. */
    public record User(String getName) implements Principal {
    }

    /** A role; Hawtio is told to read roles from principals of this class. */
    public record Role(String getName) implements Principal {
    }
}
