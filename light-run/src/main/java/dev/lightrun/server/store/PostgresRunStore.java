package dev.lightrun.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lightrun.server.model.RunState;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;

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
public final class PostgresRunStore extends JdbcRunStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresRunStore.class);
    /** A few writes per run, each a few milliseconds: four connections serve well over a hundred runs a second. */
    private static final int POOL_SIZE = 4;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** No statement of ours takes long; a stalled connection must not hold a run's thread forever. */
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);
    private static final String MIGRATIONS = "classpath:db/postgres";

    private final HikariDataSource pool;
    private final String url;
    /** This server's replica name; null: the store is used as a single server's (every row is its own). */
    private final String replica;
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
        this(url, null);
    }

    /**
     * As {@link #PostgresRunStore(String)}, for one of several replicas sharing the database: recovery then sees only
     * {@code replica}'s rows (and rows from before replicas), and {@link #cluster()} is its view of the shared queue.
     */
    public PostgresRunStore(String url, String replica) {
        // A fresh outbox row, as SQLite's INSERT OR REPLACE leaves it: no attempts, nothing delivered.
        super("now()", """
                INSERT INTO callbacks(run_id, body, attempts, created_at) VALUES (?, ?, 0, now())
                ON CONFLICT (run_id) DO UPDATE SET body = EXCLUDED.body, attempts = 0, last_status = NULL,
                    created_at = EXCLUDED.created_at, delivered_at = NULL, gave_up_at = NULL""");
        if (!StoreUrls.isPostgres(url)) {
            throw new IllegalArgumentException("not a " + StoreUrls.POSTGRES_PREFIX + " URL: " + StoreUrls.masked(url));
        }
        this.shownUrl = StoreUrls.masked(url);
        this.url = url;
        this.replica = replica;
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

    /**
     * This replica's view of what replicas share (the queue, heartbeats, commands, signals); its signals arrive on a
     * connection of their own, outside the pool.
     *
     * @throws IllegalStateException when the store was opened without a replica name
     */
    public PostgresCluster cluster() {
        if (replica == null) {
            throw new IllegalStateException("the store was opened without a replica name");
        }
        return new PostgresCluster(pool, () -> {
            Properties properties = new Properties();
            StoreUrls.password(url).ifPresent(password -> properties.setProperty("password", password));
            properties.setProperty("ApplicationName", "light-run signals");
            properties.setProperty("tcpKeepAlive", "true");
            return DriverManager.getConnection(StoreUrls.withoutPassword(url), properties);
        }, replica);
    }

    /**
     * A replica's runs to recover: its own, and the rows from before replicas (no replica), which it adopts here (one
     * {@code UPDATE}, so that two replicas recovering at once split them): another replica recovering later must not
     * take them too, and on another host it would find no container and end them LOST.
     */
    @Override
    public List<RunState> running() {
        adoptRowsFromBeforeReplicas("status = 'running'");
        return super.running();
    }

    /** As {@link #running()}: the callbacks of rows from before replicas are the first recovering replica's. */
    @Override
    public List<PendingCallback> pendingCallbacks() {
        adoptRowsFromBeforeReplicas("id IN (SELECT run_id FROM callbacks WHERE delivered_at IS NULL"
                + " AND gave_up_at IS NULL)");
        return super.pendingCallbacks();
    }

    private void adoptRowsFromBeforeReplicas(String which) {
        if (replica == null) {
            return;
        }
        try (Connection connection = pool.getConnection();
             PreparedStatement st = connection.prepareStatement("UPDATE runs SET replica = ? WHERE replica IS NULL"
                     + " AND " + which)) {
            st.setString(1, replica);
            int adopted = st.executeUpdate();
            if (adopted > 0) {
                log.info("store - {} row(s) from before replicas are now replica {}'s", adopted, replica);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot adopt the rows from before replicas: " + e.getMessage(), e);
        }
    }

    @Override
    String replicaColumn() {
        return "r.replica";
    }

    @Override
    String ownRows() {
        return replica == null ? "1 = 1" : "(r.replica = ? OR r.replica IS NULL)";
    }

    @Override
    int bindOwnRows(PreparedStatement statement, int index) throws SQLException {
        if (replica == null) {
            return index;
        }
        statement.setString(index, replica);
        return index + 1;
    }

    /** Closes the pool (idempotent): its connections end once the calls holding them return them. */
    @Override
    public void close() {
        pool.close();
    }

    @Override
    <T> T withConnection(SqlWork<T> work) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            return work.apply(connection);
        }
    }

    /** "now" is the database's clock ({@code now()}), not ours: nothing to bind. */
    @Override
    int bindNow(PreparedStatement statement, int index) {
        return index;
    }

    @Override
    void setInstant(PreparedStatement statement, int index, Instant at) throws SQLException {
        statement.setObject(index, at == null ? null : OffsetDateTime.ofInstant(at, ZoneOffset.UTC),
                Types.TIMESTAMP_WITH_TIMEZONE);
    }

    @Override
    Instant instantAt(ResultSet row, int column) throws SQLException {
        OffsetDateTime at = row.getObject(column, OffsetDateTime.class);
        return at == null ? null : at.toInstant();
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
