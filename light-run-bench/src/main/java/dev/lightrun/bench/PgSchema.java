package dev.lightrun.bench;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A schema of its own in the PostgreSQL the replicas scenario is given, for one measurement: created empty under a
 * fresh name ({@code bench_<16 hex>}), handed to the replicas through {@code currentSchema} in their store URL, and
 * dropped with everything in it on {@link #close()}, so two measurements (or two benchmarks sharing the database)
 * never see each other's runs. Only the scenario's servers are given the URL: it holds the password.
 */
final class PgSchema implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int LOGIN_TIMEOUT_SECONDS = 10;

    private final String baseUrl;
    private final String name;
    private final AtomicBoolean dropped = new AtomicBoolean();

    private PgSchema(String baseUrl, String name) {
        this.baseUrl = baseUrl;
        this.name = name;
    }

    /** Creates an empty schema with a fresh name in the database {@code baseUrl} (a {@code jdbc:postgresql:} URL). */
    static PgSchema create(String baseUrl) throws SQLException {
        Objects.requireNonNull(baseUrl, "baseUrl was not specified");
        PgSchema schema = new PgSchema(baseUrl, "bench_" + HexFormat.of().toHexDigits(RANDOM.nextLong()));
        schema.execute("CREATE SCHEMA " + schema.name);
        return schema;
    }

    String name() {
        return name;
    }

    /** The store URL of this schema (with the password of the base URL: for a server's environment, never output). */
    String url() {
        return withSchema(baseUrl, name);
    }

    /** {@code url} with {@code currentSchema=schema} added to its query. */
    static String withSchema(String url, String schema) {
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** The URL as output may show it: without its query (user, password) and without user info before the host. */
    static String redacted(String url) {
        String withoutQuery = url.replaceFirst("\\?.*$", "");
        return withoutQuery.replaceFirst("//[^/@]*@", "//");
    }

    /** Whether {@code url} names a PostgreSQL database the way the server's LIGHT_RUN_STORE_URL does. */
    static boolean isPostgresUrl(String url) {
        return url.startsWith("jdbc:postgresql:");
    }

    private void execute(String sql) throws SQLException {
        DriverManager.setLoginTimeout(LOGIN_TIMEOUT_SECONDS);
        try (Connection connection = DriverManager.getConnection(baseUrl);
             Statement st = connection.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            // The driver's message names the host, never the password; the URL itself is not repeated.
            throw new SQLException("`" + sql + "` failed on " + redacted(baseUrl) + ": " + e.getMessage(), e);
        }
    }

    /** Drops the schema and everything in it; once (later calls do nothing). Close its servers first. */
    @Override
    public void close() throws SQLException {
        if (dropped.compareAndSet(false, true)) {
            execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
        }
    }
}
