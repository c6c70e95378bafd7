-- Issue 17: every change of a mock device's definition or switches (through any instance) takes a number from one
-- sequence: the leader, which runs the simulation's rounds, takes each device whose number grew, without comparing
-- clocks. Energy updates (each round) take none.
CREATE SEQUENCE mock_device_versions;
ALTER TABLE mock_devices ADD COLUMN version bigint NOT NULL DEFAULT nextval('mock_device_versions');
CREATE FUNCTION mock_device_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('mock_device_versions');
    RETURN NEW;
END
$$;
CREATE TRIGGER mock_device_version BEFORE UPDATE OF id, name, type, location, base_power, base_voltage, enabled, online,
    real_device_id ON mock_devices FOR EACH ROW EXECUTE FUNCTION mock_device_version();
