package io.gridwire.weather;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.gridwire.message.InvalidMessageException;
import io.gridwire.message.JsonPayloads;
import io.gridwire.message.PayloadParser;
import io.gridwire.message.PayloadTimestamps;
import io.gridwire.sink.Transactions;

/**
 * The weather family, an example of how small a family is: a station's observation on
 * {@code weather/{stationId}/observation} ({"timestamp": ISO-8601, "temperature": °C, "irradiance": W/m²}) becomes a
 * {@code weather_observations} row; the same station and timestamp again changes nothing (idempotent redelivery).
 */
public class WeatherObservations implements PayloadParser {

    /** One observation: station, time, temperature in °C and global irradiance in W/m² (either may be absent). */
    public record Observation(String stationId, Instant timestamp, Double temperatureC, Double irradianceWm2) {
    }

    private final DataSource dataSource;
    private final JsonPayloads payloads;

    public WeatherObservations(DataSource dataSource, JsonPayloads payloads) {
        this.dataSource = dataSource;
        this.payloads = payloads;
    }

    /**
     * Reads one observation on the MQTT thread (no I/O).
     *
     * @throws InvalidMessageException when the payload is not JSON, a value is not a number or the timestamp breaks
     *                                 the timestamp rule of every family
     */
    @Override
    public Observation parse(String topic, byte[] payload, Map<String, Object> levels) throws InvalidMessageException {
        JsonNode json = payloads.tree(payload);
        return new Observation((String) levels.get("stationId"), PayloadTimestamps.of(json), number(json, "temperature"),
                number(json, "irradiance"));
    }

    private static Double number(JsonNode json, String field) throws InvalidMessageException {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        Double d = JsonPayloads.number(v);
        if (d == null) {
            throw new InvalidMessageException("field '" + field + "' must be a number");
        }
        return d;
    }

    /** Writes a batch in one transaction; an observation already stored (same station and time) is left as it is. */
    public void store(List<Observation> batch) throws Exception {
        Transactions.run(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO weather_observations (station_id, ts, temperature_c, "
                    + "irradiance_w_m2) VALUES (?, ?, ?, ?) ON CONFLICT (station_id, ts) DO NOTHING")) {
                for (Observation o : batch) {
                    ps.setString(1, o.stationId());
                    ps.setTimestamp(2, Timestamp.from(o.timestamp()));
                    ps.setObject(3, o.temperatureC());
                    ps.setObject(4, o.irradianceWm2());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        });
    }
}
