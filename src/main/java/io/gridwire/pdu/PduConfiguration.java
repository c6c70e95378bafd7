package io.gridwire.pdu;

import io.gridwire.platform.DependencyCheck;
import io.gridwire.platform.Platform;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;

/**
 * Wiring of the PDU family (seed 004, pdu.camel.yaml): one MQTT connection per socket broker, subscriptions following
 * the sockets in PostgreSQL, socket readings into the PDU tables, and the REST API under /pdus, /sockets, /mqtt.
 */
public class PduConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Platform platform = Platform.of(context);
        var registry = context.getRegistry();
        SocketSubscriptions sockets = new SocketSubscriptions(context, platform.dataSource(), platform.singletonClientId(""),
                platform.unsharedSessionExpirySeconds(), platform.connectRetrySeconds());
        sockets.setLeadership(platform.leadership());
        registry.bind("socketSubscriptions", sockets);
        platform.closeOnStop(sockets::shutdown);
        context.getManagementStrategy().addEventNotifier(sockets);
        SocketMessages socketMessages = new SocketMessages(platform.dataSource(), sockets, platform.payloads());
        sockets.setParsers(socketMessages::parserFor);
        registry.bind("socketMessages", socketMessages);
        PduRepository pdus = new PduRepository(platform.dataSource(), sockets);
        registry.bind("pduApi", new PduApi(pdus));
        registry.bind("socketApi", new SocketApi(pdus, sockets));
        registry.bind("mqttDeviceApi", new MqttDeviceApi(pdus));
        platform.sinkPipeline("pduPipeline", "pdu", "direct:pdu-store");
        // a socket broker that is down is counted here and named in the mqtt-pdu-brokers detail
        for (boolean up : new boolean[] {true, false}) {
            platform.meters().gauge("gridwire_pdu_brokers", () -> sockets.brokerProblems().values().stream()
                    .filter(problem -> (problem == null) == up).count(), "state", up ? "up" : "down");
        }
        // a socket's own broker (a remote device's, one site's wrong password) is not gridwire's dependency: each is
        // named with its state in the detail (and in /sockets/:id/mqtt-status), without making gridwire unready
        DependencyCheck brokers = new DependencyCheck("mqtt-pdu-brokers", details -> {
            sockets.brokerProblems().forEach((broker, problem) -> details.put(broker, problem == null ? "UP" : "DOWN: " + problem));
            return null;
        });
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(brokers);
        }
        platform.bannerLine("MQTT", () -> sockets.brokerProblems().isEmpty()
                ? "  PDU socket brokers: none configured (" + platform.httpUrl() + "/pdus)"
                : "  PDU socket brokers: " + sockets.brokerProblems().size() + ", "
                  + sockets.brokerProblems().values().stream().filter(p -> p != null).count() + " down");
        platform.bannerLine("APIs", () -> platform.httpUrl() + "/pdus");
    }
}
