-- Measurements gridwire writes through the InfluxDB v2 API, declared in QuestDB with DEDUP keys
-- (time + tags) so a redelivered point replaces itself, as it does in InfluxDB. One statement a line.
CREATE TABLE IF NOT EXISTS energy_readings (device_id SYMBOL, power DOUBLE, voltage DOUBLE, current DOUBLE, energy DOUBLE, timestamp TIMESTAMP) TIMESTAMP(timestamp) PARTITION BY DAY WAL DEDUP UPSERT KEYS(timestamp, device_id);
CREATE TABLE IF NOT EXISTS autocore_telemetry (device_id SYMBOL, timestamp TIMESTAMP) TIMESTAMP(timestamp) PARTITION BY DAY WAL DEDUP UPSERT KEYS(timestamp, device_id);
