package dev.lightrun.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run store in one SQLite file ({@code <data dir>/light-run.db}), WAL mode, {@code synchronous=FULL} so a
 * committed write survives a crash of the process and of the machine. The schema is versioned; pending migrations
 * run at start-up. One connection behind a lock: SQLite serializes writers anyway, and our writes are a few per run.
 * Timestamps are ISO-8601 TEXT ({@link Instant#toString()}).
 */
public final class SqliteRunStore extends JdbcRunStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteRunStore.class);

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Path file;
    private final int migrationsApplied;

    public SqliteRunStore(Path dataDir) {
        super("?", "INSERT OR REPLACE INTO callbacks(run_id, body, attempts, created_at) VALUES (?, ?, 0, ?)");
        try {
            Files.createDirectories(dataDir);
            this.file = dataDir.resolve("light-run.db");
            this.connection = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement pragmas = connection.createStatement()) {
                pragmas.execute("PRAGMA journal_mode=WAL");
                pragmas.execute("PRAGMA synchronous=FULL");
                pragmas.execute("PRAGMA busy_timeout=5000");
                pragmas.execute("PRAGMA foreign_keys=ON");
            }
            this.migrationsApplied = Migrations.apply(connection);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + dataDir, e);
        } catch (SQLException e) {
            throw new StoreException("cannot open the run store in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void logOpened() {
        log.info("store - {} ({} migration(s) applied, schema version {})", file, migrationsApplied,
                Migrations.latest());
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("store - closing failed: {}", e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    @Override
    <T> T withConnection(SqlWork<T> work) throws SQLException {
        lock.lock();
        try {
            return work.apply(connection);
        } finally {
            lock.unlock();
        }
    }

    /** "now" is this process's clock, bound as ISO text like every other timestamp here. */
    @Override
    int bindNow(PreparedStatement statement, int index) throws SQLException {
        statement.setString(index, Instant.now().toString());
        return index + 1;
    }

    @Override
    void setInstant(PreparedStatement statement, int index, Instant at) throws SQLException {
        statement.setString(index, at == null ? null : at.toString());
    }

    @Override
    Instant instantAt(ResultSet row, int column) throws SQLException {
        String at = row.getString(column);
        return at == null ? null : Instant.parse(at);
    }
}
