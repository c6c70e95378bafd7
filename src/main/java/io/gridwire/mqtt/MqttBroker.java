package io.gridwire.mqtt;

import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * How one MQTT connection reaches its broker: host and port, and for TLS the socket factory holding the trusted CAs
 * and the optional client certificate (mutual TLS) and whether the broker's certificate must name the host.
 *
 * @param host           broker host name or address
 * @param port           broker port (1883 plain, 8883 TLS by convention)
 * @param tls            TLS socket factory, or null for plain TCP
 * @param verifyHostname with TLS, refuse a broker certificate that does not name {@code host} (HTTPS rules)
 */
public record MqttBroker(String host, int port, SSLSocketFactory tls, boolean verifyHostname) {

    /** A plain TCP broker. */
    public static MqttBroker plain(String host, int port) {
        return new MqttBroker(host, port, null, false);
    }

    /** {@code tcp://host:port}, or {@code ssl://host:port} with TLS (Paho's server URI). */
    public String uri() {
        return (tls == null ? "tcp://" : "ssl://") + host + ":" + port;
    }

    /**
     * Sets the connection's socket factory: the TLS one, or buffered plain sockets ({@link BufferedSocketFactory}).
     *
     * @param o the options a client connects with; changed in place
     * @return {@code o}
     */
    public MqttConnectionOptions applyTo(MqttConnectionOptions o) {
        if (tls == null) {
            o.setSocketFactory(new BufferedSocketFactory());
        } else {
            o.setSocketFactory(tls);
            o.setHttpsHostnameVerificationEnabled(verifyHostname);
        }
        return o;
    }

    /**
     * Why a connection attempt failed, for logs and health checks: Paho's message, or for a TLS failure the handshake's
     * own reason with what it usually means (an untrusted or wrongly named broker certificate, a client certificate
     * the broker wants or refuses). Never holds key material or passwords.
     *
     * @param e what Paho's connect threw
     * @return one line
     */
    public static String connectFailure(MqttException e) {
        Throwable tls = e;
        while (tls != null && !(tls instanceof SSLException) && !(tls instanceof CertificateException)) {
            tls = tls.getCause() == tls ? null : tls.getCause();
        }
        if (tls == null) {
            return e.getMessage();
        }
        String m = String.valueOf(tls.getMessage());
        String hint = m.contains("PKIX") || m.contains("certification path")
                ? " (the broker's certificate does not chain to a trusted CA)"
                : m.contains("subject alternative") || m.contains("No name matching")
                ? " (the broker's certificate does not name this host)"
                : m.contains("certificate_required") || m.contains("bad_certificate") || m.contains("unknown_ca")
                ? " (the broker wants a client certificate it trusts)" : "";
        return "TLS handshake failed: " + m + hint;
    }

    /** The server URI, for logs. */
    @Override
    public String toString() {
        return uri();
    }
}
