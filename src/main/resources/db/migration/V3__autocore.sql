-- Seed 002 AutoCore monitor, in its own schema: its "devices" are not the registry devices of seed 000.

CREATE SCHEMA autocore;

-- Latest known state of every AutoCore device; status_at is the timestamp of the status it reflects, last_seen
-- when gridwire last received anything from it (its own clock, not the device's).
CREATE TABLE autocore.devices (
    device_id        text PRIMARY KEY,
    is_online        boolean     NOT NULL DEFAULT false,
    last_seen        timestamptz,
    ip_address       text,
    firmware_version text,
    uptime           bigint,
    status_at        timestamptz,
    registered_at    timestamptz NOT NULL DEFAULT now(),
    registered_by    text        NOT NULL DEFAULT 'status'
);
CREATE INDEX autocore_devices_online_seen ON autocore.devices (last_seen) WHERE is_online;

-- Every change of online state or IP address, with what it was before and why it changed.
CREATE TABLE autocore.connectivity_history (
    device_id         text        NOT NULL,
    ts                timestamptz NOT NULL,
    is_online         boolean     NOT NULL,
    ip_address        text,
    previous_online   boolean,
    previous_ip       text,
    reason            text        NOT NULL,
    PRIMARY KEY (device_id, ts)
);

-- Telemetry: the numeric fields of each message (they differ per device) as one JSON object.
CREATE TABLE autocore.telemetry (
    device_id   text        NOT NULL,
    ts          timestamptz NOT NULL,
    fields      jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, ts)
);
CREATE INDEX autocore_telemetry_ts ON autocore.telemetry (ts);

CREATE TABLE autocore.relays (
    device_id     text        NOT NULL,
    relay_index   integer     NOT NULL,
    name          text,
    -- a change of a critical relay's state raises a notification
    critical      boolean     NOT NULL DEFAULT false,
    current_state boolean,
    triggered_by  text,
    state_at      timestamptz,
    PRIMARY KEY (device_id, relay_index)
);

CREATE TABLE autocore.relay_state_history (
    device_id    text        NOT NULL,
    relay_index  integer     NOT NULL,
    ts           timestamptz NOT NULL,
    state        boolean     NOT NULL,
    triggered_by text,
    PRIMARY KEY (device_id, relay_index, ts)
);
CREATE INDEX autocore_relay_history_ts ON autocore.relay_state_history (ts);

-- Notifications (critical relays); sent_at is set once the Kafka record was acknowledged.
CREATE TABLE autocore.notifications (
    id          bigserial PRIMARY KEY,
    device_id   text        NOT NULL,
    relay_index integer     NOT NULL,
    ts          timestamptz NOT NULL,
    state       boolean     NOT NULL,
    message     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (device_id, relay_index, ts)
);

-- Anomalies: a telemetry value far from the moving average of its field; sent_at as for notifications.
CREATE TABLE autocore.alerts (
    id          bigserial PRIMARY KEY,
    device_id   text             NOT NULL,
    field       text             NOT NULL,
    ts          timestamptz      NOT NULL,
    value       double precision NOT NULL,
    average     double precision NOT NULL,
    stddev      double precision NOT NULL,
    z_score     double precision NOT NULL,
    created_at  timestamptz      NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (device_id, field, ts)
);

CREATE TABLE autocore.display_interactions (
    device_id   text        NOT NULL,
    ts          timestamptz NOT NULL,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, ts)
);
CREATE INDEX autocore_display_ts ON autocore.display_interactions (ts);

CREATE TABLE autocore.system_messages (
    device_id   text        NOT NULL,
    subtopic    text        NOT NULL,
    ts          timestamptz NOT NULL,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, subtopic, ts)
);
CREATE INDEX autocore_system_ts ON autocore.system_messages (ts);
