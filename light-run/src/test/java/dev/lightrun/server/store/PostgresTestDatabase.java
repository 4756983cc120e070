package dev.lightrun.server.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A schema of its own in the test PostgreSQL ({@value #URL_VARIABLE}, printed by {@code scripts/dev-services.sh env}),
 * dropped with everything in it on {@link #close()}: tests share one server without seeing each other's rows, and each
 * starts from an empty database. Without the variable a test fails, never skips: CI must run these.
 */
public final class PostgresTestDatabase implements AutoCloseable {
    public static final String URL_VARIABLE = "LIGHT_RUN_TEST_PG_URL";

    private final String baseUrl;
    private final String schema;

    private PostgresTestDatabase(String baseUrl, String schema) {
        this.baseUrl = baseUrl;
        this.schema = schema;
    }

    /** Creates an empty schema with a fresh name. */
    public static PostgresTestDatabase create() {
        String baseUrl = System.getenv(URL_VARIABLE);
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new AssertionError(URL_VARIABLE + " is not set: start PostgreSQL with `eval \"$(scripts/dev-services.sh"
                    + " up)\"` (scripts/test.sh does) and run the tests again");
        }
        PostgresTestDatabase database = new PostgresTestDatabase(baseUrl,
                "lrtest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
        database.execute("CREATE SCHEMA " + database.schema);
        return database;
    }

    /** The URL of the store in this schema (the password included: give it to the store, never print it). */
    public String url() {
        return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public String schema() {
        return schema;
    }

    /** A plain connection to this schema, behind the store's back. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url());
    }

    /** Runs one statement in this schema. */
    public void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(baseUrl);
             Statement st = connection.createStatement()) {
            st.execute("SET search_path TO " + schema);
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run `" + sql + "` in the test database: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
}
