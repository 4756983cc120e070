-- Replicas sharing this database (issue 15): the queue becomes rows every replica claims from, each replica has a
-- heartbeat row, and lifecycle calls for a run another replica executes travel as command rows.
--
-- runs.replica: the replica executing the run (status running), or that took a queued run out of line to end it;
-- NULL while it waits in the shared queue (and for the rows of a single server before this version, which the first
-- replica to recover adopts). A running row that still holds its request was claimed and not launched yet: if its
-- replica goes silent it goes back to the queue (see releaseSilentClaims in PostgresCluster).
ALTER TABLE runs ADD COLUMN replica TEXT COLLATE "C";
CREATE INDEX runs_by_replica ON runs (replica, status);

CREATE TABLE replicas (
    name         TEXT COLLATE "C" PRIMARY KEY,
    -- the data folder's instance id: a second process under the same name with another one is refused
    instance     TEXT NOT NULL,
    host         TEXT NOT NULL,
    -- where other replicas reach its API (live logs of its runs are proxied there); NULL: not reachable
    url          TEXT,
    -- its slot count; how many it runs is counted from runs (not stored here, where it would lag)
    slots        INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

-- The fair queue's memory across replicas: when each owner ('' for runs without one) last got a slot, as a number
-- from one sequence, so the owner served least recently goes first (the rule of the single server's Admission).
CREATE SEQUENCE queue_turns_seq;
CREATE TABLE queue_turns (
    owner       TEXT COLLATE "C" PRIMARY KEY,
    last_served BIGINT NOT NULL
);

-- cancel / stop / pause / resume of a run, for the replica executing it; done_at set once it acted, with the error
-- it answered (if any), which the replica that took the call returns to its caller.
CREATE TABLE run_commands (
    id            BIGSERIAL PRIMARY KEY,
    run_id        TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    replica       TEXT COLLATE "C" NOT NULL,
    action        TEXT NOT NULL,
    signal        TEXT,
    grace_ms      BIGINT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at       TIMESTAMPTZ,
    error_status  INTEGER,
    error_code    TEXT,
    error_message TEXT
);
CREATE INDEX run_commands_pending ON run_commands (replica, id) WHERE done_at IS NULL;
