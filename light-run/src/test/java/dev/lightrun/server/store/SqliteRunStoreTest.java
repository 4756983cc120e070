package dev.lightrun.server.store;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;

/** The store contract on SQLite: a real database file in a temporary folder. */
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
}
