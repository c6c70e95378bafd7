-- Seed 004: PDU -> socket -> device, each socket with its own MQTT broker settings; topic = base topic/suffix.
-- Own schema: its device_current_state (whatever a socket's device reports) is not seed 001's.

CREATE SCHEMA pdu;

CREATE TABLE pdu.power_distribution_units (
    id              bigserial PRIMARY KEY,
    name            text        NOT NULL,
    organisation    text,
    department      text,
    location        text,
    mqtt_base_topic text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pdu.sockets (
    id                bigserial PRIMARY KEY,
    pdu_id            bigint      NOT NULL REFERENCES pdu.power_distribution_units (id),
    socket_number     integer     NOT NULL,
    mqtt_topic_suffix text        NOT NULL,
    mqtt_broker_host  text        NOT NULL,
    mqtt_broker_port  integer     NOT NULL DEFAULT 1883,
    -- {"username": ..., "password": ...}; the API never returns the password
    mqtt_credentials  jsonb       NOT NULL DEFAULT '{}',
    -- {"qos": 0-2, "retain": bool, "keepalive": s, "clean_session": bool}
    mqtt_config       jsonb       NOT NULL DEFAULT '{}',
    -- the device assigned to the socket (seed 004: socket.device_id); one socket per device
    device_id         text UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pdu_id, socket_number)
);

-- Every message received on a socket's topic, with the device assigned at that moment.
CREATE TABLE pdu.device_data_logs (
    id          bigserial PRIMARY KEY,
    device_id   text        NOT NULL,
    socket_id   bigint      NOT NULL,
    data_json   jsonb       NOT NULL,
    "timestamp" timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (device_id, socket_id, "timestamp")
);
CREATE INDEX pdu_device_data_logs_device ON pdu.device_data_logs (device_id, "timestamp");

-- Latest values per device; an older message never overwrites a newer one.
CREATE TABLE pdu.device_current_state (
    device_id   text PRIMARY KEY,
    socket_id   bigint           NOT NULL,
    voltage     double precision,
    current     double precision,
    power       double precision,
    energy      double precision,
    temperature double precision,
    data_json   jsonb            NOT NULL,
    "timestamp" timestamptz      NOT NULL,
    updated_at  timestamptz      NOT NULL DEFAULT now()
);
