-- Issue 17: several instances share one simulation. Whether it runs is kept here (set at start-up from
-- simulator.enabled, changed by POST /api/v1/simulation/start|stop on any instance) and followed by the leader,
-- which alone runs the rounds.
CREATE TABLE simulation_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    running    boolean NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
