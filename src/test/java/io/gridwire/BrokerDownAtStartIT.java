package io.gridwire;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import io.gridwire.support.Devices;
import io.gridwire.support.GridwireProcess;
import io.gridwire.support.Services;
import io.gridwire.support.Sinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/** gridwire starts while Mosquitto is down, and consumes once the broker comes up, without a restart. */
class BrokerDownAtStartIT {

    private static GridwireProcess gridwire;

    @AfterAll
    static void cleanUp() throws Exception {
        Services.start("mosquitto");
        if (gridwire != null) {
            gridwire.stop();
        }
    }

    @Test
    void startsWithoutBrokerAndConsumesWhenItComesUp() throws Exception {
        Services.stop("mosquitto");
        gridwire = new GridwireProcess("broker-down", Map.of()).start("Started energy-telemetry-ingest");
        await().atMost(Duration.ofSeconds(30)).until(() -> gridwire.log().toFile().exists()
                && java.nio.file.Files.readString(gridwire.log()).contains("cannot connect"));

        Services.start("mosquitto");
        await().atMost(Duration.ofSeconds(60)).until(() -> java.nio.file.Files.readString(gridwire.log())
                .contains(GridwireProcess.SUBSCRIBED));
        String device = Devices.uniquePrefix("brokerup") + "meter";
        try (Devices devices = new Devices()) {
            devices.publishReading(device, Instant.now().truncatedTo(ChronoUnit.MILLIS), 4.2, 230, 18.3, 1.0);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> Sinks.count(
                "select count(*) from device_readings where device_id = ? and power = 4.2", device) == 1);
    }
}
