-- The PostgreSQL run store's first schema (Flyway: never edit a migration that has shipped; add V2__...sql).
-- The same rows as the SQLite store's (store/Migrations.java, versions 1-3 plus the owner): a run's state and plan are
-- the store's own JSON (StoredJson), read leniently by either store.
--
-- state and plan are TEXT, not JSONB: jsonb refuses the escape \u0000, which a run's stdout tail may hold, and TEXT
-- keeps the document byte for byte as written. id, status and owner are columns for listing and filtering.
-- COLLATE "C" on ids: paging compares ids as SQLite does (byte order), whatever the database's locale.
CREATE TABLE runs (
    id         TEXT COLLATE "C" PRIMARY KEY,
    status     TEXT NOT NULL,
    owner      TEXT,
    state      TEXT NOT NULL,
    plan       TEXT NOT NULL,
    -- the request of a queued run, kept until it starts (it holds the files, env and input to run with)
    request    BYTEA,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE INDEX runs_by_owner ON runs (owner, id);

-- The callback outbox: written in the transaction that records the run's final state.
CREATE TABLE callbacks (
    run_id       TEXT COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    body         BYTEA NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_status  INTEGER,
    created_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    -- a callback that will not be retried any more (4xx, refused URL, attempts used up)
    gave_up_at   TIMESTAMPTZ
);
