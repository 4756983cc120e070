package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The store contract on SQLite (a real database file in a temporary folder), and its own migrations. */
class SqliteRunStoreTest extends RunStoreContract {
    @TempDir
    Path dataDir;

    @Override
    protected RunStore openStore() {
        return new SqliteRunStore(dataDir);
    }

    @Override
    protected int overwriteRow(String id, String stateJson, String planJson) throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("light-run.db"));
             PreparedStatement st = db.prepareStatement("UPDATE runs SET state = ?, plan = ? WHERE id = ?")) {
            st.setString(1, stateJson);
            st.setString(2, planJson);
            st.setString(3, id);
            return st.executeUpdate();
        }
    }

    @Test
    void theOwnerMigrationFillsTheColumnFromStoredStates() throws Exception {
        String owned = "00000000-0000-7000-8000-000000000061";
        String old = "00000000-0000-7000-8000-000000000062";
        store.create(RunState.running(owned, "img", "team-a", false, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        store.create(RunState.running(old, "img", null, false, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        store.close();
        // As a database of schema 3 had it: no owner column; then the migration runs again on opening.
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("light-run.db"));
             var st = db.createStatement()) {
            st.execute("DROP INDEX runs_by_owner");
            st.execute("ALTER TABLE runs DROP COLUMN owner");
            st.execute("DELETE FROM schema_version WHERE version = 4");
        }
        store = new SqliteRunStore(dataDir);

        assertThat(store.page(null, "team-a", 10, null).runs()).extracting(RunState::id).containsExactly(owned);
        assertThat(store.page(null, null, 10, null).runs()).extracting(RunState::id).containsExactly(old, owned);
        assertThat(store.find(old).orElseThrow().owner()).isNull();
    }
}
