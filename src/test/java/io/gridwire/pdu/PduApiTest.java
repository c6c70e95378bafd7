package io.gridwire.pdu;

import io.gridwire.api.ApiException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The PDU, socket and device APIs refuse what they can tell is wrong before any SQL (no Camel, no database: without a
 * repository, a call that got as far as the database would fail with a NullPointerException instead).
 */
class PduApiTest {

    private final PduApi pdus = new PduApi(null);
    private final SocketApi sockets = new SocketApi(null, null);
    private final MqttDeviceApi devices = new MqttDeviceApi(null);

    @Test
    void anIdThatIsNoNumberIs404() {
        assertEquals("unknown id 'abc'", assertThrows(ApiException.class, () -> pdus.getPdu("abc")).getMessage());
        assertEquals(404, assertThrows(ApiException.class, () -> pdus.deletePdu("1x")).status());
        assertEquals(404, assertThrows(ApiException.class, () -> pdus.updatePdu(null, "{}")).status());
        assertEquals(404, assertThrows(ApiException.class, () -> sockets.getSocket("")).status());
        assertEquals(404, assertThrows(ApiException.class, () -> sockets.createSocket("x", "{}")).status());
        assertEquals(404, assertThrows(ApiException.class, () -> sockets.mqttStatus("x")).status());
    }

    @Test
    void anInvalidPduBodyIs400() {
        assertEquals(400, assertThrows(ApiException.class, () -> pdus.createPdu(null)).status());
        assertEquals(400, assertThrows(ApiException.class, () -> pdus.createPdu("[]")).status());
        ApiException unknown = assertThrows(ApiException.class, () -> pdus.createPdu("{\"name\": \"a\", \"colour\": \"red\"}"));
        assertEquals(400, unknown.status());
        assertEquals("unknown field 'colour'; allowed: department, location, mqtt_base_topic, name, organisation",
                unknown.getMessage());
        assertEquals(413, assertThrows(ApiException.class,
                () -> pdus.createPdu("{\"name\": \"" + "x".repeat(64 * 1024) + "\"}")).status());
    }

    @Test
    void anInvalidAssignmentIs400() {
        assertEquals(400, assertThrows(ApiException.class, () -> devices.assignDevice("{\"socket_id\": 1}")).status());
        ApiException noSocket = assertThrows(ApiException.class, () -> devices.assignDevice("{\"device_id\": \"meter-1\"}"));
        assertEquals("field 'socket_id' is required (the socket's id)", noSocket.getMessage());
        assertEquals(400, assertThrows(ApiException.class,
                () -> devices.assignDevice("{\"device_id\": \"meter-1\", \"socket_id\": 0}")).status());
    }

    @Test
    void socketTlsMaterialIsCheckedAndNeverShown() {
        var ca = io.gridwire.support.TestCertificates.selfSigned("ca", "RSA");
        var client = io.gridwire.support.TestCertificates.selfSigned("gridwire", "EC");
        java.util.Map<String, Object> stored = SocketConfig.credentials(java.util.Map.of("username", "u", "password", "p",
                "ca_cert", ca.certificatePem(), "client_cert", client.certificatePem(), "client_key", client.keyPairPem()), null);
        assertEquals(java.util.Map.of("username", "u", "password", SocketConfig.MASK, "ca_cert", SocketConfig.MASK,
                "client_cert", SocketConfig.MASK, "client_key", SocketConfig.MASK), SocketConfig.masked(stored));
        // the masks sent back keep what is stored
        assertEquals(stored, SocketConfig.credentials(SocketConfig.masked(stored), stored));

        ApiException noKey = assertThrows(ApiException.class, () -> SocketConfig.credentials(
                java.util.Map.of("client_cert", client.certificatePem()), null));
        assertEquals("fields 'mqtt_credentials.client_cert' and 'mqtt_credentials.client_key' go together", noKey.getMessage());
        ApiException badCa = assertThrows(ApiException.class, () -> SocketConfig.credentials(java.util.Map.of("ca_cert", "not PEM"), null));
        assertEquals(400, badCa.status());
        assertEquals(true, badCa.getMessage().startsWith("field 'mqtt_credentials.ca_cert': "), badCa.getMessage());
        ApiException encrypted = assertThrows(ApiException.class, () -> SocketConfig.credentials(java.util.Map.of(
                "client_cert", client.certificatePem(), "client_key", client.encryptedPem()), null));
        assertEquals(true, encrypted.getMessage().contains("the private key is encrypted"), encrypted.getMessage());
        ApiException tlsFlag = assertThrows(ApiException.class, () -> SocketConfig.mqttConfig(java.util.Map.of("tls", "yes")));
        assertEquals("field 'mqtt_config.tls' must be true or false", tlsFlag.getMessage());
        assertEquals(true, SocketConfig.mqttConfig(java.util.Map.of("tls", true)).get("verify_hostname"));
        // a change that leaves tls out keeps it: TLS is never turned off by a change of QoS
        assertEquals(true, SocketConfig.mqttConfig(java.util.Map.of("qos", 0), java.util.Map.of("tls", true, "verify_hostname", false)).get("tls"));
        assertEquals(false, SocketConfig.mqttConfig(java.util.Map.of("qos", 0), java.util.Map.of("tls", true, "verify_hostname", false)).get("verify_hostname"));
        assertEquals(false, SocketConfig.mqttConfig(java.util.Map.of("tls", false), java.util.Map.of("tls", true)).get("tls"));
        // another certificate's key is refused naming the key
        ApiException mismatch = assertThrows(ApiException.class, () -> SocketConfig.credentials(java.util.Map.of(
                "client_cert", client.certificatePem(), "client_key", ca.pkcs8Pem()), null));
        assertEquals("field 'mqtt_credentials.client_key': the private key does not belong to the client certificate", mismatch.getMessage());
    }
}
