package io.gridwire.weather;

import io.gridwire.platform.Platform;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/** Wiring of the weather family (weather.camel.yaml): its parser and sink, its pipeline, its MQTT connection. */
public class WeatherConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) {
        Platform platform = Platform.of(context);
        context.getRegistry().bind("weatherObservations", new WeatherObservations(platform.dataSource(), platform.payloads()));
        platform.sinkPipeline("weatherPipeline", "weather", "direct:weather-store");
        platform.ingestClient("weatherMqttClient", "-weather", "mqtt-weather", "weather stations", "weather.topics");
    }
}
