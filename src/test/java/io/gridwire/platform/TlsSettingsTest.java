package io.gridwire.platform;

import java.security.KeyStore;
import java.util.Map;

import javax.net.ssl.SSLContext;

import io.gridwire.mqtt.MqttBroker;
import io.gridwire.sink.KafkaClients;
import io.gridwire.support.TestCertificates;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS and security settings without a network: PEM material in every key format operators have, the errors for what
 * cannot work (naming the setting, never the key), Kafka's security properties, why a handshake failed, and when
 * tracing is on.
 */
class TlsSettingsTest {

    private static final TestCertificates.Issued RSA = TestCertificates.selfSigned("gridwire", "RSA");
    private static final TestCertificates.Issued EC = TestCertificates.selfSigned("device", "EC");

    @Test
    void readsCertificatesAndKeysInEveryUnencryptedFormat() throws Exception {
        for (String key : new String[] {RSA.keyPairPem(), RSA.pkcs8Pem()}) {
            SSLContext ssl = TlsContexts.context(new TlsContexts.Material(RSA.certificatePem(), RSA.certificatePem(), key, "test"));
            assertNotNull(ssl.getSocketFactory());
        }
        assertNotNull(TlsContexts.context(new TlsContexts.Material(null, EC.certificatePem(), EC.keyPairPem(), "ec")));
        assertNotNull(TlsContexts.context(new TlsContexts.Material(null, EC.certificatePem(), EC.pkcs8Pem(), "ec8")));
        // a CA file with two authorities: both trusted
        var trust = TlsContexts.trustManager(new TlsContexts.Material(RSA.certificatePem() + EC.certificatePem(), null, null, "two"));
        assertEquals(2, trust.getAcceptedIssuers().length);
        // no CA: the JVM's
        KeyStore none = null;
        var jvm = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        jvm.init(none);
        assertEquals(((javax.net.ssl.X509TrustManager) jvm.getTrustManagers()[0]).getAcceptedIssuers().length,
                TlsContexts.trustManager(new TlsContexts.Material(null, null, null, "jvm")).getAcceptedIssuers().length);
    }

    @Test
    void refusesWhatCannotWorkNamingTheSettingNotTheKey() {
        String key = RSA.pkcs8Pem();
        var encrypted = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.context(new TlsContexts.Material(null, RSA.certificatePem(), RSA.encryptedPem(), "mqtt.tls")));
        assertTrue(encrypted.getMessage().startsWith("mqtt.tls: the private key is encrypted"), encrypted.getMessage());
        var noKey = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.context(new TlsContexts.Material(null, RSA.certificatePem(), null, "mqtt.tls")));
        assertTrue(noKey.getMessage().contains("needs its private key"), noKey.getMessage());
        var notAKey = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.context(new TlsContexts.Material(null, RSA.certificatePem(), RSA.certificatePem(), "x")));
        assertTrue(notAKey.getMessage().contains("no private key"), notAKey.getMessage());
        var otherKey = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.context(new TlsContexts.Material(null, RSA.certificatePem(), TestCertificates.selfSigned("x", "RSA").pkcs8Pem(), "mqtt.tls")));
        assertEquals("mqtt.tls: the private key does not belong to the client certificate", otherKey.getMessage());
        var notACa = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.context(new TlsContexts.Material("hello", null, null, "kafka.tls")));
        assertTrue(notACa.getMessage().startsWith("kafka.tls: "), notACa.getMessage());
        var missingFile = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.Material.files("/nonexistent/ca.pem", null, null, "mqtt.tls"));
        assertTrue(missingFile.getMessage().startsWith("mqtt.tls.caFile: cannot read /nonexistent/ca.pem"), missingFile.getMessage());
        String body = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        for (Exception e : new Exception[] {encrypted, noKey, notAKey, notACa}) {
            assertFalse(e.getMessage().contains(body), "key material in " + e.getMessage());
        }
    }

    @Test
    void kafkaSecurityForEveryProtocol() {
        assertEquals(Map.of("security.protocol", "PLAINTEXT"), KafkaClients.of("k:9092", "", "SCRAM-SHA-512", "", "", "").security());
        KafkaClients scram = KafkaClients.of("k:9094", "sasl_ssl", "scram-sha-512", "gridwire", "pa\"ss\\word", "/etc/ca.pem");
        assertEquals("SASL_SSL", scram.protocol());
        assertEquals("SCRAM-SHA-512", scram.security().get("sasl.mechanism"));
        assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"gridwire\" password=\"pa\\\"ss\\\\word\";",
                scram.security().get("sasl.jaas.config"));
        assertEquals("PEM", scram.security().get("ssl.truststore.type"));
        assertEquals("/etc/ca.pem", scram.security().get("ssl.truststore.location"));
        Map<String, Object> config = scram.config("acks", "all");
        assertEquals("k:9094", config.get("bootstrap.servers"));
        assertEquals("all", config.get("acks"));
        assertTrue(KafkaClients.of("k", "SASL_PLAINTEXT", "PLAIN", "u", "p", "").security().get("sasl.jaas.config").toString()
                .startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required"));
        assertFalse(KafkaClients.of("k", "SSL", "", "", "", "").security().containsKey("sasl.jaas.config"));
        assertThrows(IllegalArgumentException.class, () -> KafkaClients.of("k", "TLS", "", "", "", ""));
        assertThrows(IllegalArgumentException.class, () -> KafkaClients.of("k", "SASL_SSL", "GSSAPI", "u", "p", ""));
        var noUser = assertThrows(IllegalArgumentException.class, () -> KafkaClients.of("k", "SASL_SSL", "SCRAM-SHA-512", "", "p", ""));
        assertTrue(noUser.getMessage().contains("kafka.sasl.username"), noUser.getMessage());
    }

    @Test
    void aFailedHandshakeSaysWhatItUsuallyMeans() {
        MqttException untrusted = new MqttException(0, new javax.net.ssl.SSLHandshakeException(
                "PKIX path building failed: unable to find valid certification path to requested target"));
        assertTrue(MqttBroker.connectFailure(untrusted).endsWith("(the broker's certificate does not chain to a trusted CA)"));
        MqttException wanted = new MqttException(0, new javax.net.ssl.SSLHandshakeException("Received fatal alert: certificate_required"));
        assertTrue(MqttBroker.connectFailure(wanted).startsWith("TLS handshake failed: Received fatal alert: certificate_required"));
        assertTrue(MqttBroker.connectFailure(wanted).endsWith("(the broker wants a client certificate it trusts)"));
        MqttException plain = new MqttException(134);
        assertEquals(plain.getMessage(), MqttBroker.connectFailure(plain));
        assertEquals("ssl://h:8883", new MqttBroker("h", 8883, (javax.net.ssl.SSLSocketFactory) javax.net.ssl.SSLSocketFactory.getDefault(), true).uri());
        assertEquals("tcp://h:1883", MqttBroker.plain("h", 1883).uri());
    }

    @Test
    void tracingIsOnOnlyWhenAnExporterIsNamed() {
        assertFalse(Tracing.wanted(Map.<String, String>of()::get));
        assertTrue(Tracing.wanted(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")::get));
        assertTrue(Tracing.wanted(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")::get));
        assertTrue(Tracing.wanted(Map.of("OTEL_TRACES_EXPORTER", "otlp")::get));
        assertFalse(Tracing.wanted(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")::get));
        assertFalse(Tracing.wanted(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")::get));
        assertFalse(Tracing.wanted(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " ")::get));
    }
}
