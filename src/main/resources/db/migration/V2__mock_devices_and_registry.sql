-- Seed 001 mock devices (definitions and cumulative energy survive a restart) and seed 000's registry of
-- real devices, whose changes are published as device events through an outbox.

CREATE TABLE mock_devices (
    id             text PRIMARY KEY,
    name           text             NOT NULL,
    type           text             NOT NULL,
    location       text,
    base_power     double precision NOT NULL CHECK (base_power >= 0),
    base_voltage   double precision NOT NULL CHECK (base_voltage > 0),
    enabled        boolean          NOT NULL DEFAULT true,
    online         boolean          NOT NULL DEFAULT true,
    -- kWh consumed so far, and when that figure was last brought up to date
    energy_kwh     double precision NOT NULL DEFAULT 0 CHECK (energy_kwh >= 0),
    energy_at      timestamptz,
    -- set when the device mirrors a registry device (seed 000: mock-real-{id})
    real_device_id text UNIQUE,
    created_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now()
);

-- Seed 001's five default devices, created once, on first start (deleting one later is respected).
INSERT INTO mock_devices (id, name, type, location, base_power, base_voltage) VALUES
    ('mock-hvac-001', 'HVAC System', 'hvac', 'Building A HVAC', 25.0, 240.0),
    ('mock-lighting-001', 'LED Lighting', 'lighting', 'Office lighting', 8.5, 240.0),
    ('mock-server-001', 'Server Rack', 'server', 'Data center', 45.0, 240.0),
    ('mock-industrial-001', 'Production Line', 'industrial', 'Industrial', 120.0, 480.0),
    ('mock-kitchen-001', 'Kitchen Equipment', 'appliance', 'Cafeteria appliances', 15.0, 240.0);

-- Seed 000: the registry of real devices.
CREATE TABLE devices (
    id           uuid PRIMARY KEY,
    name         text        NOT NULL,
    type         text        NOT NULL,
    location     text,
    status       text        NOT NULL DEFAULT 'offline',
    base_power   double precision,
    base_voltage double precision,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Device events written in the same transaction as the registry change; published (QoS 1) after commit,
-- in order, and marked published only once the broker acknowledged them.
CREATE TABLE device_event_outbox (
    id           bigserial PRIMARY KEY,
    device_id    uuid        NOT NULL,
    event_type   text        NOT NULL,
    topic        text        NOT NULL,
    payload      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX device_event_outbox_pending ON device_event_outbox (id) WHERE published_at IS NULL;

-- The newest device event applied per real device (a delete leaves a tombstone), so events that arrive twice
-- or out of order never undo a newer one.
CREATE TABLE device_event_sync (
    real_device_id text PRIMARY KEY,
    last_event_type text        NOT NULL,
    last_event_at   timestamptz NOT NULL,
    deleted         boolean     NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
