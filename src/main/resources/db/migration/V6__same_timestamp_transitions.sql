-- Issue 15: two state changes with one timestamp (a relay pulse on then off, online then offline) are both recorded;
-- for equal timestamps the later arrival on the same topic wins the current state. History rows are keyed by the
-- state as well, so the second change is not taken for a redelivery of the first.
ALTER TABLE autocore.relay_state_history DROP CONSTRAINT relay_state_history_pkey,
    ADD PRIMARY KEY (device_id, relay_index, ts, state);
ALTER TABLE autocore.notifications DROP CONSTRAINT notifications_device_id_relay_index_ts_key,
    ADD CONSTRAINT notifications_device_id_relay_index_ts_state_key UNIQUE (device_id, relay_index, ts, state);
ALTER TABLE autocore.connectivity_history DROP CONSTRAINT connectivity_history_pkey,
    ADD PRIMARY KEY (device_id, ts, is_online);
ALTER TABLE ems_status_events DROP CONSTRAINT ems_status_events_serial_number_ts_key,
    ADD CONSTRAINT ems_status_events_serial_number_ts_status_key UNIQUE (serial_number, ts, new_status);
