package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run store in one SQLite file ({@code <data dir>/light-run.db}), WAL mode, {@code synchronous=FULL} so a
 * committed write survives a crash of the process and of the machine. The schema is versioned; pending migrations
 * run at start-up. One connection behind a lock: SQLite serializes writers anyway, and our writes are a few per run.
 */
public final class SqliteRunStore implements RunStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteRunStore.class);

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Path file;
    private final int migrationsApplied;

    public SqliteRunStore(Path dataDir) {
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
    public void create(RunState state, RunPlan plan, byte[] pendingRequest) {
        write("INSERT INTO runs(id, status, state, plan, updated_at, request, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
                st -> {
                    st.setString(1, state.id());
                    st.setString(2, state.status().json());
                    st.setString(3, StoredJson.write(state));
                    st.setString(4, StoredJson.write(plan));
                    st.setString(5, Instant.now().toString());
                    st.setBytes(6, pendingRequest);
                    st.setString(7, state.owner());
                });
    }

    @Override
    public void started(RunState state) {
        write("UPDATE runs SET status = ?, state = ?, updated_at = ?, request = NULL WHERE id = ?", st -> {
            st.setString(1, state.status().json());
            st.setString(2, StoredJson.write(state));
            st.setString(3, Instant.now().toString());
            st.setString(4, state.id());
        });
    }

    @Override
    public List<Queued> queued() {
        return query("SELECT state, request FROM runs WHERE status = 'queued' ORDER BY id", st -> { },
                rs -> new Queued(StoredJson.read(rs.getString(1), RunState.class), rs.getBytes(2)));
    }

    @Override
    public void update(RunState state) {
        write("UPDATE runs SET status = ?, state = ?, updated_at = ? WHERE id = ?", st -> {
            st.setString(1, state.status().json());
            st.setString(2, StoredJson.write(state));
            st.setString(3, Instant.now().toString());
            st.setString(4, state.id());
        });
    }

    @Override
    public void finish(RunState state, byte[] callbackBody) {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement st = connection.prepareStatement(
                        "UPDATE runs SET status = ?, state = ?, updated_at = ?, request = NULL WHERE id = ?")) {
                    st.setString(1, state.status().json());
                    st.setString(2, StoredJson.write(state));
                    st.setString(3, Instant.now().toString());
                    st.setString(4, state.id());
                    st.executeUpdate();
                }
                if (callbackBody != null) {
                    try (PreparedStatement st = connection.prepareStatement(
                            "INSERT OR REPLACE INTO callbacks(run_id, body, attempts, created_at) VALUES (?, ?, 0, ?)")) {
                        st.setString(1, state.id());
                        st.setBytes(2, callbackBody);
                        st.setString(3, Instant.now().toString());
                        st.executeUpdate();
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot record the end of run " + state.id() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** The run's state with its callback's delivery state joined in (the stored state never holds it). */
    private static final String STATE_COLUMNS = "r.state, c.attempts, c.last_status, c.delivered_at, c.gave_up_at";
    private static final String STATE_FROM = " FROM runs r LEFT JOIN callbacks c ON c.run_id = r.id";

    private RunState stateOf(ResultSet rs) throws SQLException {
        RunState state = StoredJson.read(rs.getString(1), RunState.class);
        int attempts = rs.getInt(2);
        if (rs.wasNull()) {
            return state;
        }
        int lastStatus = rs.getInt(3);
        Integer last = rs.wasNull() ? null : lastStatus;
        String delivered = rs.getString(4);
        String gaveUp = rs.getString(5);
        return state.withCallback(new RunState.Callback(attempts, last,
                delivered == null ? null : Instant.parse(delivered), gaveUp != null));
    }

    @Override
    public Optional<RunState> find(String id) {
        return query("SELECT " + STATE_COLUMNS + STATE_FROM + " WHERE r.id = ?", st -> st.setString(1, id),
                this::stateOf).stream().findFirst();
    }

    @Override
    public Optional<RunPlan> plan(String id) {
        return query("SELECT plan FROM runs WHERE id = ?", st -> st.setString(1, id),
                rs -> StoredJson.read(rs.getString(1), RunPlan.class)).stream().findFirst();
    }

    @Override
    public List<RunState> running() {
        return query("SELECT state FROM runs WHERE status = 'running' ORDER BY id", st -> { },
                rs -> StoredJson.read(rs.getString(1), RunState.class));
    }

    @Override
    public Page page(RunStatus status, String owner, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("SELECT " + STATE_COLUMNS + STATE_FROM + " WHERE 1 = 1");
        if (status != null) {
            sql.append(" AND r.status = ?");
        }
        if (owner != null) {
            sql.append(" AND r.owner = ?");
        }
        if (cursor != null) {
            sql.append(" AND r.id < ?");
        }
        // One more than asked tells whether there is a next page without a second query.
        sql.append(" ORDER BY r.id DESC LIMIT ?");
        List<RunState> rows = query(sql.toString(), st -> {
            int i = 1;
            if (status != null) {
                st.setString(i++, status.json());
            }
            if (owner != null) {
                st.setString(i++, owner);
            }
            if (cursor != null) {
                st.setString(i++, cursor);
            }
            st.setInt(i, limit + 1);
        }, this::stateOf);
        boolean more = rows.size() > limit;
        List<RunState> runs = more ? rows.subList(0, limit) : rows;
        return new Page(runs, more ? runs.getLast().id() : null);
    }

    @Override
    public boolean delete(String id) {
        return write("DELETE FROM runs WHERE id = ?", st -> st.setString(1, id)) > 0;
    }

    @Override
    public List<PendingCallback> pendingCallbacks() {
        return query("""
                SELECT c.run_id, r.plan, c.body, c.attempts FROM callbacks c JOIN runs r ON r.id = c.run_id
                WHERE c.delivered_at IS NULL AND c.gave_up_at IS NULL ORDER BY c.run_id""", st -> { }, rs -> {
            RunPlan plan = StoredJson.read(rs.getString(2), RunPlan.class);
            return new PendingCallback(rs.getString(1), plan.callbackUrl(), plan.callbackSecret(), rs.getBytes(3),
                    rs.getInt(4));
        });
    }

    @Override
    public void callbackAttempted(String runId, int httpStatus, boolean delivered, boolean gaveUp, Instant at) {
        write("UPDATE callbacks SET attempts = attempts + 1, last_status = ?, delivered_at = ?, gave_up_at = ?"
                + " WHERE run_id = ?", st -> {
            st.setInt(1, httpStatus);
            st.setString(2, delivered ? at.toString() : null);
            st.setString(3, gaveUp ? at.toString() : null);
            st.setString(4, runId);
        });
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

    // ---------------------------------------------------------------- plumbing

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private int write(String sql, Binder binder) {
        lock.lock();
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            binder.bind(st);
            return st.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("store write failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private <T> List<T> query(String sql, Binder binder, Mapper<T> mapper) {
        lock.lock();
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            binder.bind(st);
            List<T> rows = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new StoreException("store read failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
