package dev.lightrun.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The run store in a PostgreSQL database, for servers that share one ({@code LIGHT_RUN_STORE_URL}). The same contract
 * and rows as {@link SqliteRunStore}: a write is committed (PostgreSQL's default {@code synchronous_commit=on}) when
 * the call returns, a run's final state and its callback are one transaction, and states and plans are the store's
 * lenient JSON ({@link StoredJson}). The schema is versioned by Flyway ({@code db/postgres/V*.sql}); pending migrations
 * run when the store opens, under Flyway's lock, so replicas starting together migrate once.
 *
 * <p>Thread-safe: every call takes a connection from a small pool (HikariCP); the database orders concurrent writers,
 * within this process and across processes. The password of the URL never reaches a log line: it is handed to the
 * pool apart from the URL, and {@link #logOpened()} shows the URL masked.
 */
public final class PostgresRunStore implements RunStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresRunStore.class);
    /** A few writes per run, each a few milliseconds: four connections serve well over a hundred runs a second. */
    private static final int POOL_SIZE = 4;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** No statement of ours takes long; a stalled connection must not hold a run's thread forever. */
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
    private static final String MIGRATIONS = "classpath:db/postgres";

    private final HikariDataSource pool;
    private final String shownUrl;
    private final int migrationsApplied;
    private final String schemaVersion;

    /**
     * Connects, and migrates the schema to this version's.
     *
     * @param url a {@code jdbc:postgresql:} URL, with {@code user} and {@code password} parameters as the server needs
     * @throws StoreException when the database cannot be reached or migrated (the message shows the URL masked)
     */
    public PostgresRunStore(String url) {
        if (!StoreUrls.isPostgres(url)) {
            throw new IllegalArgumentException("not a " + StoreUrls.POSTGRES_PREFIX + " URL: " + StoreUrls.masked(url));
        }
        this.shownUrl = StoreUrls.masked(url);
        HikariConfig config = new HikariConfig();
        config.setPoolName("light-run-store");
        config.setJdbcUrl(StoreUrls.withoutPassword(url));
        StoreUrls.password(url).ifPresent(config::setPassword);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setConnectionTimeout(CONNECT_TIMEOUT.toMillis());
        // Defaults a URL parameter of the same name overrides (pgjdbc reads the URL last). Seconds.
        config.addDataSourceProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT.toSeconds()));
        config.addDataSourceProperty("socketTimeout", Long.toString(SOCKET_TIMEOUT.toSeconds()));
        config.addDataSourceProperty("ApplicationName", "light-run");
        try {
            this.pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the run store at " + shownUrl + ": " + rootMessage(e), e);
        }
        try {
            Flyway flyway = Flyway.configure().dataSource(pool).locations(MIGRATIONS).load();
            MigrateResult result = flyway.migrate();
            this.migrationsApplied = result.migrationsExecuted;
            MigrationInfo current = flyway.info().current();
            this.schemaVersion = current == null ? "none" : current.getVersion().getVersion();
        } catch (RuntimeException e) {
            pool.close();
            throw new StoreException("cannot migrate the run store at " + shownUrl + ": " + rootMessage(e), e);
        }
    }

    /**
     * Logs where the store is and what opening it migrated. A database migrated by a newer light-run (another replica
     * upgraded first) is used as it is: migrations only add, and rows read leniently.
     */
    @Override
    public void logOpened() {
        log.info("store - {} ({} migration(s) applied, schema version {})", shownUrl, migrationsApplied, schemaVersion);
    }

    @Override
    public void create(RunState state, RunPlan plan, byte[] pendingRequest) {
        write("INSERT INTO runs(id, status, owner, state, plan, request, updated_at) VALUES (?, ?, ?, ?, ?, ?, now())",
                st -> {
                    st.setString(1, state.id());
                    st.setString(2, state.status().json());
                    st.setString(3, state.owner());
                    st.setString(4, StoredJson.write(state));
                    st.setString(5, StoredJson.write(plan));
                    st.setBytes(6, pendingRequest);
                });
    }

    @Override
    public void started(RunState state) {
        write("UPDATE runs SET status = ?, state = ?, updated_at = now(), request = NULL WHERE id = ?", st -> {
            st.setString(1, state.status().json());
            st.setString(2, StoredJson.write(state));
            st.setString(3, state.id());
        });
    }

    @Override
    public List<Queued> queued() {
        return query("SELECT state, request FROM runs WHERE status = 'queued' ORDER BY id", st -> { },
                rs -> new Queued(StoredJson.read(rs.getString(1), RunState.class), rs.getBytes(2)));
    }

    @Override
    public void update(RunState state) {
        write("UPDATE runs SET status = ?, state = ?, updated_at = now() WHERE id = ?", st -> {
            st.setString(1, state.status().json());
            st.setString(2, StoredJson.write(state));
            st.setString(3, state.id());
        });
    }

    @Override
    public void finish(RunState state, byte[] callbackBody) {
        try (Connection connection = pool.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (PreparedStatement st = connection.prepareStatement(
                        "UPDATE runs SET status = ?, state = ?, updated_at = now(), request = NULL WHERE id = ?")) {
                    st.setString(1, state.status().json());
                    st.setString(2, StoredJson.write(state));
                    st.setString(3, state.id());
                    st.executeUpdate();
                }
                if (callbackBody != null) {
                    // A fresh outbox row, as SQLite's INSERT OR REPLACE leaves it: no attempts, nothing delivered.
                    try (PreparedStatement st = connection.prepareStatement("""
                            INSERT INTO callbacks(run_id, body, attempts, created_at) VALUES (?, ?, 0, now())
                            ON CONFLICT (run_id) DO UPDATE SET body = EXCLUDED.body, attempts = 0, last_status = NULL,
                                created_at = EXCLUDED.created_at, delivered_at = NULL, gave_up_at = NULL""")) {
                        st.setString(1, state.id());
                        st.setBytes(2, callbackBody);
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
        }
    }

    /** The run's state with its callback's delivery state joined in (the stored state never holds it). */
    private static final String STATE_COLUMNS = "r.state, c.attempts, c.last_status, c.delivered_at, c.gave_up_at";
    private static final String STATE_FROM = " FROM runs r LEFT JOIN callbacks c ON c.run_id = r.id";

    private static RunState stateOf(ResultSet rs) throws SQLException {
        RunState state = StoredJson.read(rs.getString(1), RunState.class);
        int attempts = rs.getInt(2);
        if (rs.wasNull()) {
            return state;
        }
        int lastStatus = rs.getInt(3);
        Integer last = rs.wasNull() ? null : lastStatus;
        OffsetDateTime delivered = rs.getObject(4, OffsetDateTime.class);
        OffsetDateTime gaveUp = rs.getObject(5, OffsetDateTime.class);
        return state.withCallback(new RunState.Callback(attempts, last,
                delivered == null ? null : delivered.toInstant(), gaveUp != null));
    }

    @Override
    public Optional<RunState> find(String id) {
        return query("SELECT " + STATE_COLUMNS + STATE_FROM + " WHERE r.id = ?", st -> st.setString(1, id),
                PostgresRunStore::stateOf).stream().findFirst();
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
        StringBuilder sql = new StringBuilder("SELECT " + STATE_COLUMNS + STATE_FROM + " WHERE TRUE");
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
        }, PostgresRunStore::stateOf);
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
        OffsetDateTime when = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
        write("UPDATE callbacks SET attempts = attempts + 1, last_status = ?, delivered_at = ?, gave_up_at = ?"
                + " WHERE run_id = ?", st -> {
            st.setInt(1, httpStatus);
            st.setObject(2, delivered ? when : null, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
            st.setObject(3, gaveUp ? when : null, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
            st.setString(4, runId);
        });
    }

    /** Closes the pool (idempotent): its connections end once the calls holding them return them. */
    @Override
    public void close() {
        pool.close();
    }

    // ---------------------------------------------------------------- plumbing

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private int write(String sql, Binder binder) {
        try (Connection connection = pool.getConnection();
             PreparedStatement st = connection.prepareStatement(sql)) {
            binder.bind(st);
            return st.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("store write failed: " + e.getMessage(), e);
        }
    }

    private <T> List<T> query(String sql, Binder binder, Mapper<T> mapper) {
        try (Connection connection = pool.getConnection();
             PreparedStatement st = connection.prepareStatement(sql)) {
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
        }
    }

    /** The innermost message: the pool and Flyway wrap the driver's, which says what is wrong. */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
