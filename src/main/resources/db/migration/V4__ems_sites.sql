-- Seed 003 EcoGrid EMS bridge: device metadata, status with its change events, commands, hourly analytics.

-- Device metadata by serial number (the EMS "Device Service" registry): numeric id, site and type.
CREATE TABLE ems_devices (
    device_id     bigserial PRIMARY KEY,
    serial_number text        NOT NULL UNIQUE,
    site_id       bigint      NOT NULL,
    device_type   text        NOT NULL,
    -- latest status (ONLINE, OFFLINE, MAINTENANCE, ERROR) and the timestamp of the message it came from
    status        text,
    status_at     timestamptz,
    registered_by text        NOT NULL DEFAULT 'api',
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- DEVICE_STATUS_CHANGE events, written with the status change; sent_at once Kafka acknowledged the record.
CREATE TABLE ems_status_events (
    id              bigserial PRIMARY KEY,
    serial_number   text        NOT NULL,
    ts              timestamptz NOT NULL,
    previous_status text,
    new_status      text        NOT NULL,
    reason          text,
    payload         text        NOT NULL,
    sent_at         timestamptz,
    UNIQUE (serial_number, ts)
);

-- Commands sent to devices (sites/{siteId}/devices/{serial}/commands, QoS 2) and their outcome.
CREATE TABLE ems_commands (
    id            uuid PRIMARY KEY,
    site_id       bigint      NOT NULL,
    serial_number text        NOT NULL,
    command       jsonb       NOT NULL,
    status        text        NOT NULL,
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);

-- Analytics: device-telemetry records already counted (so a redelivered record is not counted twice) ...
CREATE TABLE ems_telemetry_seen (
    serial_number text        NOT NULL,
    ts            timestamptz NOT NULL,
    PRIMARY KEY (serial_number, ts)
);
-- ... and the hourly aggregates per device.
CREATE TABLE ems_hourly_aggregates (
    serial_number text             NOT NULL,
    hour          timestamptz      NOT NULL,
    samples       bigint           NOT NULL,
    sum_power_kw  double precision NOT NULL,
    min_power_kw  double precision NOT NULL,
    max_power_kw  double precision NOT NULL,
    first_ts      timestamptz      NOT NULL,
    last_ts       timestamptz      NOT NULL,
    PRIMARY KEY (serial_number, hour)
);
