package dev.lightrun.server.store;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The transaction plumbing the {@link PostgresCluster}'s parts share: each call takes a pool connection for one short
 * transaction and turns a {@link SQLException} into a {@link StoreException}, written once so that the queue, the
 * replicas' rows, the commands and the signals commit and fail alike.
 */
final class PostgresTransactions {
    /** A transaction's statements, on its connection. */
    interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Sets a statement's parameters. */
    interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private final DataSource pool;

    PostgresTransactions(DataSource pool) {
        this.pool = pool;
    }

    /** Runs {@code work} in one transaction, committed when it returns, rolled back when it throws. */
    <T> T inTransaction(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("cluster store call failed: " + e.getMessage(), e);
        }
    }

    /** The rows {@code sql}, with its one parameter, changed. */
    int update(String sql, String parameter) {
        return inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, parameter);
                return st.executeUpdate();
            }
        });
    }

    /** The first column of the first row {@code sql}, with its one parameter, selects; empty when none or null. */
    Optional<String> single(String sql, String parameter) {
        return inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, parameter);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }
}
