package io.gridwire.platform;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * TLS contexts from PEM text, the format Mosquitto, PostgreSQL and certificate tools write: the certificate
 * authorities a server's certificate must chain to, and optionally a client certificate (chain) with its private key
 * (PKCS#1 RSA, SEC1 EC or PKCS#8, not encrypted) for mutual TLS. BouncyCastle reads the keys.
 */
public final class TlsContexts {

    private TlsContexts() {
    }

    /**
     * One connection's TLS material.
     *
     * @param caPem   certificates of the authorities to trust (PEM, one or more); null or blank: the JVM's trusted CAs
     * @param certPem the client certificate, then its chain (PEM); null or blank: no client certificate
     * @param keyPem  the client certificate's private key (PEM); required with certPem
     * @param source  what the material came from, for error messages (e.g. "mqtt.tls.caFile /etc/ca.pem"), never a secret
     */
    public record Material(String caPem, String certPem, String keyPem, String source) {

        /** The source only: the PEM texts may hold a private key. */
        @Override
        public String toString() {
            return source + (keyPem == null ? "" : " (with a client certificate)");
        }

        /**
         * Reads the PEM files named (null or blank: not used).
         *
         * @param settingPrefix the settings they come from (e.g. mqtt.tls), for messages
         * @return the material, its source the prefix
         * @throws IllegalArgumentException a file cannot be read (the message names the setting and the file)
         */
        public static Material files(String caFile, String certFile, String keyFile, String settingPrefix) {
            return new Material(read(caFile, settingPrefix + ".caFile"), read(certFile, settingPrefix + ".certFile"),
                    read(keyFile, settingPrefix + ".keyFile"), settingPrefix);
        }

        private static String read(String file, String setting) {
            if (file == null || file.isBlank()) {
                return null;
            }
            try {
                // ISO-8859-1 reads every byte: CA bundles carry UTF-8 comments beside the ASCII PEM blocks
                return Files.readString(Path.of(file.trim()), StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                throw new IllegalArgumentException(setting + ": cannot read " + file + " (" + e + ")", e);
            }
        }
    }

    /**
     * An SSL context trusting {@code m.caPem} (or the JVM's CAs) and presenting {@code m.certPem} when asked.
     *
     * @throws IllegalArgumentException the PEM text holds no certificate, a key is missing, encrypted or unreadable;
     *                                  the message names {@code m.source}, never key material
     */
    public static SSLContext context(Material m) {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(keyManagers(m), trustManagers(m), null);
            return ssl;
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(m.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The trust manager of {@link #context} (OkHttp needs it beside the socket factory).
     *
     * @throws IllegalArgumentException the PEM text holds no certificate (the message names {@code m.source})
     */
    public static X509TrustManager trustManager(Material m) {
        try {
            TrustManager[] managers = trustManagers(m);
            for (TrustManager t : managers == null ? defaultTrustManagers() : managers) {
                if (t instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(m.source() + ": " + e.getMessage(), e);
        }
    }

    private static TrustManager[] defaultTrustManagers() throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init((KeyStore) null);
        return f.getTrustManagers();
    }

    private static TrustManager[] trustManagers(Material m) throws GeneralSecurityException, IOException {
        if (blank(m.caPem())) {
            return null; // SSLContext.init: the JVM's trusted CAs
        }
        KeyStore trusted = emptyStore();
        int i = 0;
        for (Certificate c : certificates(m.caPem(), "CA")) {
            trusted.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(trusted);
        return f.getTrustManagers();
    }

    private static KeyManager[] keyManagers(Material m) throws GeneralSecurityException, IOException {
        if (blank(m.certPem())) {
            return null;
        }
        if (blank(m.keyPem())) {
            throw new IllegalArgumentException("a client certificate needs its private key (keyFile)");
        }
        Collection<? extends Certificate> chain = certificates(m.certPem(), "client");
        PrivateKey key = privateKey(m.keyPem());
        belongsTo(key, chain.iterator().next());
        KeyStore keys = emptyStore();
        keys.setKeyEntry("client", key, new char[0], chain.toArray(Certificate[]::new));
        KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(keys, new char[0]);
        return f.getKeyManagers();
    }

    private static Collection<? extends Certificate> certificates(String pem, String what) throws GeneralSecurityException {
        Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("no " + what + " certificate (PEM -----BEGIN CERTIFICATE-----) found");
        }
        return certs;
    }

    private static PrivateKey privateKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PEMKeyPair pair) {
                    // the private part alone: an EC key (SEC1) may come without its public key
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new IllegalArgumentException("the private key is encrypted; give it unencrypted "
                                                       + "(openssl pkey -in key.pem -out plain.pem) and protect the file");
                }
            }
        }
        throw new IllegalArgumentException("no private key (PEM -----BEGIN ... PRIVATE KEY-----) found");
    }

    /** Refuses a key that is not the certificate's: it signs a few bytes the certificate's public key must verify. */
    private static void belongsTo(PrivateKey key, Certificate certificate) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return; // the handshake will tell
        }
        byte[] probe = "gridwire".getBytes(StandardCharsets.US_ASCII);
        java.security.Signature sign = java.security.Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        java.security.Signature verify = java.security.Signature.getInstance(algorithm);
        try {
            verify.initVerify(certificate.getPublicKey());
            verify.update(probe);
            if (verify.verify(signature)) {
                return;
            }
        } catch (java.security.InvalidKeyException differentKind) {
            // an EC key with an RSA certificate, say: not the certificate's either
        }
        throw new IllegalArgumentException("the private key does not belong to the client certificate");
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        return ks;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
