package dev.lightrun.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;

/**
 * The schema, as an ordered list of migrations. Never edit one that has shipped: append a new one. Each runs in its
 * own transaction and records its version, so a database of any earlier version is brought up to date at start-up.
 */
final class Migrations {
    private static final List<String> STEPS = List.of(
            // 1: runs (state and plan as JSON documents; status and id columns for listing), callback outbox
            """
            CREATE TABLE runs (
                id         TEXT PRIMARY KEY,
                status     TEXT NOT NULL,
                state      TEXT NOT NULL,
                plan       TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX runs_by_status ON runs(status, id);
            CREATE TABLE callbacks (
                run_id       TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
                body         BLOB NOT NULL,
                attempts     INTEGER NOT NULL DEFAULT 0,
                last_status  INTEGER,
                created_at   TEXT NOT NULL,
                delivered_at TEXT
            );
            """,
            // 2: the request of a queued run, kept until it starts (it holds the files, env and input to run with)
            """
            ALTER TABLE runs ADD COLUMN request BLOB
            """,
            // 3: a callback that will not be retried any more (4xx, refused URL, attempts used up)
            """
            ALTER TABLE callbacks ADD COLUMN gave_up_at TEXT
            """,
            // 4: the owner of each run (the key that started it), for listing one tenant's runs. Rows written since
            // the state carried an owner get it from there; older rows keep null, which only an admin sees.
            """
            ALTER TABLE runs ADD COLUMN owner TEXT;
            UPDATE runs SET owner = json_extract(state, '$.owner');
            CREATE INDEX runs_by_owner ON runs(owner, id)
            """);

    private Migrations() {
    }

    static int latest() {
        return STEPS.size();
    }

    /** Applies what is missing; returns how many migrations ran. */
    static int apply(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        }
        int current;
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            current = rs.next() ? rs.getInt(1) : 0;
        }
        if (current > STEPS.size()) {
            throw new SQLException("the database has schema version " + current + ", newer than this light-run ("
                    + STEPS.size() + "); upgrade light-run");
        }
        int applied = 0;
        for (int version = current + 1; version <= STEPS.size(); version++) {
            connection.setAutoCommit(false);
            try (Statement st = connection.createStatement()) {
                for (String sql : STEPS.get(version - 1).split(";")) {
                    if (!sql.isBlank()) {
                        st.execute(sql);
                    }
                }
                st.execute("INSERT INTO schema_version(version, applied_at) VALUES (" + version + ", '"
                        + Instant.now() + "')");
                connection.commit();
                applied++;
            } catch (SQLException e) {
                connection.rollback();
                throw new SQLException("migration " + version + " failed: " + e.getMessage(), e);
            } finally {
                connection.setAutoCommit(true);
            }
        }
        return applied;
    }
}
