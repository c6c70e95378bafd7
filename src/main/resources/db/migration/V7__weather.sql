-- Example family: weather station observations (temperature in °C, global irradiance in W/m²).
CREATE TABLE weather_observations (
    station_id      text        NOT NULL,
    ts              timestamptz NOT NULL,
    temperature_c   double precision,
    irradiance_w_m2 double precision,
    PRIMARY KEY (station_id, ts)
);
