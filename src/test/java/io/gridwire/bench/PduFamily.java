package io.gridwire.bench;

import java.util.List;

import io.gridwire.support.Api;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Sinks;

/**
 * Seed 004 PDU sockets: one PDU (base topic pdu-bench/{run}) with a socket per device (suffix = device id) on the
 * local broker with gridwire's account and the seed's example settings (QoS 1, clean session), created through the
 * REST API; the PDUs publish with that account, as the tests do. Per message one PostgreSQL transaction:
 * pdu.device_data_logs (key device_id, socket_id, timestamp) and the device's current state. The commit clock is the
 * log row's received_at (now() of its transaction; the commit follows within ms).
 */
final class PduFamily extends Family {

    private final List<Sink> sinks;

    PduFamily(String run) {
        super("pdu", run);
        sinks = List.of(new Sink.Postgres("pdu.device_data_logs", "device_id", "\"timestamp\"", "received_at"));
    }

    private String base() {
        return "pdu-bench/" + run;
    }

    @Override
    String topic() {
        return base() + "/%s";
    }

    @Override
    Mqttload.Account publisher() {
        return Mqttload.Account.GRIDWIRE;
    }

    @Override
    void setUp(GridwireProcess gridwire, Api api, List<String> devices) throws Exception {
        Api.Response pdu = api.post("/pdus", "{\"name\":\"" + run + "\",\"organisation\":\"bench\",\"mqtt_base_topic\":\""
                                             + base() + "\"}");
        if (pdu.status() != 201) {
            throw new IllegalStateException("creating the bench PDU: " + pdu);
        }
        long pduId = pdu.json().get("id").asLong();
        Mqttload.Account account = Mqttload.Account.GRIDWIRE;
        for (int i = 0; i < devices.size(); i++) {
            Api.Response socket = api.post("/pdus/" + pduId + "/sockets", "{\"socket_number\":" + (i + 1)
                    + ",\"mqtt_topic_suffix\":\"" + devices.get(i) + "\",\"mqtt_broker_host\":\"" + Mqttload.HOST
                    + "\",\"mqtt_broker_port\":" + Mqttload.PORT + ",\"mqtt_credentials\":{\"username\":\"" + account.user()
                    + "\",\"password\":\"" + account.password() + "\"},\"mqtt_config\":{\"qos\":1,\"retain\":false,"
                    + "\"keepalive\":60,\"clean_session\":true}}");
            if (socket.status() != 201) {
                throw new IllegalStateException("creating socket " + (i + 1) + ": " + socket);
            }
            Api.Response assigned = api.post("/mqtt/devices", "{\"device_id\":\"" + devices.get(i) + "\",\"socket_id\":"
                                                              + socket.json().get("id").asLong() + "}");
            if (assigned.status() != 201) {
                throw new IllegalStateException("assigning device " + devices.get(i) + ": " + assigned);
            }
        }
        // every socket's subscription acknowledged by the broker
        awaitSubscribed(gridwire, base() + "/", devices.size());
    }

    @Override
    void cleanUp(String runPattern) {
        // gridwire subscribes to every socket in the database: none may stay behind for the next gridwire
        Sinks.removeTestPdus(runPattern);
    }

    @Override
    List<Sink> sinks() {
        return sinks;
    }

    @Override
    String clockNote() {
        return "now() at the start of the message's transaction; its statements, commit and the MQTT ack follow";
    }

    @Override
    String ingestRoute() {
        return "pdu-broker-.*";
    }
}
