-- Seed 001 readings (energy/devices/{id}/data): history, latest state per device, dead letters.

-- Every reading once: (device_id, timestamp) is the idempotency key, so a redelivery is a no-op.
CREATE TABLE device_readings (
    device_id   text             NOT NULL,
    "timestamp" timestamptz      NOT NULL,
    power       double precision NOT NULL,
    voltage     double precision NOT NULL,
    current     double precision NOT NULL,
    energy      double precision NOT NULL,
    status      text,
    enabled     boolean,
    received_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, "timestamp")
);

-- Latest reading per device; an older reading never overwrites a newer one.
CREATE TABLE device_current_state (
    device_id   text PRIMARY KEY,
    "timestamp" timestamptz      NOT NULL,
    power       double precision NOT NULL,
    voltage     double precision NOT NULL,
    current     double precision NOT NULL,
    energy      double precision NOT NULL,
    status      text,
    enabled     boolean,
    updated_at  timestamptz      NOT NULL DEFAULT now()
);

-- Messages gridwire could not accept, with the reason; stored before the broker gets its ack.
CREATE TABLE dead_letters (
    id             bigserial PRIMARY KEY,
    route_id       text        NOT NULL,
    topic          text,
    payload        bytea,
    payload_text   text,
    reason         text        NOT NULL,
    exception_type text,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_received_at ON dead_letters (received_at);
CREATE INDEX dead_letters_route_id ON dead_letters (route_id, received_at);
