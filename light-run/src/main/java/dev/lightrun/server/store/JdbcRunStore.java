package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL and row mapping both run stores share: one schema ({@code runs} and the {@code callbacks} outbox), the same
 * statements, states and plans as {@link StoredJson}. A subclass says only what its database does differently: how a
 * call gets a connection, what "now" is, how a timestamp is written and read, and how the outbox row is replaced.
 */
abstract sealed class JdbcRunStore implements RunStore permits SqliteRunStore, PostgresRunStore {

    /** The run's state with its callback's delivery state joined in (the stored state never holds it). */
    private static final String STATE_COLUMNS = "r.state, c.attempts, c.last_status, c.delivered_at, c.gave_up_at, ";
    private static final String STATE_FROM = " FROM runs r LEFT JOIN callbacks c ON c.run_id = r.id";

    private final String create;
    private final String started;
    private final String update;
    private final String replaceCallback;

    /**
     * @param now             the SQL for "now" in an {@code updated_at} or {@code created_at} column: {@code ?}, which
     *                        {@link #bindNow} fills, or the database's own clock
     * @param replaceCallback inserts a fresh outbox row for a run, replacing any earlier one (no attempts, nothing
     *                        delivered); its parameters are the run's id, the body, then "now" as above
     */
    JdbcRunStore(String now, String replaceCallback) {
        this.replaceCallback = replaceCallback;
        this.create = "INSERT INTO runs(id, status, owner, state, plan, request, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
                + now + ")";
        this.started = "UPDATE runs SET status = ?, state = ?, updated_at = " + now + ", request = NULL WHERE id = ?";
        this.update = "UPDATE runs SET status = ?, state = ?, updated_at = " + now + " WHERE id = ?";
    }

    // ---------------------------------------------------------------- what differs

    /** Runs {@code work} on a connection this store may use now, and gives the connection back afterwards. */
    abstract <T> T withConnection(SqlWork<T> work) throws SQLException;

    /** Binds "now" at {@code index} if the constructor's {@code now} is a parameter; returns the next free index. */
    abstract int bindNow(PreparedStatement statement, int index) throws SQLException;

    /** Writes an instant, or SQL NULL for {@code null}, in this database's timestamp form. */
    abstract void setInstant(PreparedStatement statement, int index, Instant at) throws SQLException;

    /** Reads what {@link #setInstant} wrote; {@code null} for SQL NULL. */
    abstract Instant instantAt(ResultSet row, int column) throws SQLException;

    /** The column naming the replica that executes a run ({@code r.replica}), or {@code NULL} where there is none. */
    String replicaColumn() {
        return "NULL";
    }

    /**
     * The runs this server recovers (recorded running, callbacks pending) among those of {@code runs r}: every row on a
     * single server; a replica's own (and rows from before replicas) where several share the store. Binds from
     * {@code index}; returns the next free index.
     */
    String ownRows() {
        return "1 = 1";
    }

    int bindOwnRows(PreparedStatement statement, int index) throws SQLException {
        return index;
    }

    // ---------------------------------------------------------------- RunStore

    @Override
    public void create(RunState state, RunPlan plan, byte[] pendingRequest) {
        write(create, st -> {
            st.setString(1, state.id());
            st.setString(2, state.status().json());
            st.setString(3, state.owner());
            st.setString(4, StoredJson.write(state));
            st.setString(5, StoredJson.write(plan));
            st.setBytes(6, pendingRequest);
            bindNow(st, 7);
        });
    }

    @Override
    public void started(RunState state) {
        write(started, st -> bindStatus(st, state));
    }

    @Override
    public List<Queued> queued() {
        return query("SELECT state, request FROM runs WHERE status = 'queued' ORDER BY id", st -> { },
                rs -> new Queued(StoredJson.read(rs.getString(1), RunState.class), rs.getBytes(2)));
    }

    @Override
    public void update(RunState state) {
        write(update, st -> bindStatus(st, state));
    }

    @Override
    public void finish(RunState state, byte[] callbackBody) {
        try {
            withConnection(connection -> {
                connection.setAutoCommit(false);
                try {
                    try (PreparedStatement st = connection.prepareStatement(started)) {
                        bindStatus(st, state);
                        st.executeUpdate();
                    }
                    if (callbackBody != null) {
                        try (PreparedStatement st = connection.prepareStatement(replaceCallback)) {
                            st.setString(1, state.id());
                            st.setBytes(2, callbackBody);
                            bindNow(st, 3);
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
                return null;
            });
        } catch (SQLException e) {
            throw new StoreException("cannot record the end of run " + state.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<RunState> find(String id) {
        return query("SELECT " + STATE_COLUMNS + replicaColumn() + STATE_FROM + " WHERE r.id = ?", st -> st.setString(1, id),
                this::stateOf).stream().findFirst();
    }

    @Override
    public Optional<RunPlan> plan(String id) {
        return query("SELECT plan FROM runs WHERE id = ?", st -> st.setString(1, id),
                rs -> StoredJson.read(rs.getString(1), RunPlan.class)).stream().findFirst();
    }

    @Override
    public List<RunState> running() {
        return query("SELECT r.state FROM runs r WHERE r.status = 'running' AND " + ownRows() + " ORDER BY r.id",
                st -> bindOwnRows(st, 1),
                rs -> StoredJson.read(rs.getString(1), RunState.class));
    }

    @Override
    public Page page(RunStatus status, String owner, int limit, String cursor) {
        StringBuilder sql = new StringBuilder("SELECT " + STATE_COLUMNS + replicaColumn() + STATE_FROM + " WHERE 1 = 1");
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
                WHERE c.delivered_at IS NULL AND c.gave_up_at IS NULL""" + " AND " + ownRows() + " ORDER BY c.run_id",
                st -> bindOwnRows(st, 1), rs -> {
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
            setInstant(st, 2, delivered ? at : null);
            setInstant(st, 3, gaveUp ? at : null);
            st.setString(4, runId);
        });
    }

    // ---------------------------------------------------------------- rows

    /** Binds {@code status, state, <now>, id} as {@link #started} and {@link #update} take them. */
    private void bindStatus(PreparedStatement st, RunState state) throws SQLException {
        st.setString(1, state.status().json());
        st.setString(2, StoredJson.write(state));
        st.setString(bindNow(st, 3), state.id());
    }

    private RunState stateOf(ResultSet rs) throws SQLException {
        RunState state = StoredJson.read(rs.getString(1), RunState.class);
        // The replica that executed it, as its state says; the column (which replica is responsible for the row now)
        // for a state that does not say (written before replicas named themselves in it). They differ only for a run
        // whose replica was forgotten: the state keeps naming the lost one, the column the one that ended it.
        String column = rs.getString(6);
        if (state.replica() == null && column != null) {
            state = state.withReplica(column);
        }
        int attempts = rs.getInt(2);
        if (rs.wasNull()) {
            return state;
        }
        int lastStatus = rs.getInt(3);
        Integer last = rs.wasNull() ? null : lastStatus;
        Instant delivered = instantAt(rs, 4);
        boolean gaveUp = rs.getObject(5) != null;
        return state.withCallback(new RunState.Callback(attempts, last, delivered, gaveUp));
    }

    // ---------------------------------------------------------------- plumbing

    /** What a call does with the connection {@link #withConnection} lends it. */
    interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    private interface Mapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private int write(String sql, Binder binder) {
        try {
            return withConnection(connection -> {
                try (PreparedStatement st = connection.prepareStatement(sql)) {
                    binder.bind(st);
                    return st.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw new StoreException("store write failed: " + e.getMessage(), e);
        }
    }

    private <T> List<T> query(String sql, Binder binder, Mapper<T> mapper) {
        try {
            return withConnection(connection -> {
                try (PreparedStatement st = connection.prepareStatement(sql)) {
                    binder.bind(st);
                    List<T> rows = new ArrayList<>();
                    try (ResultSet rs = st.executeQuery()) {
                        while (rs.next()) {
                            rows.add(mapper.map(rs));
                        }
                    }
                    return rows;
                }
            });
        } catch (SQLException e) {
            throw new StoreException("store read failed: " + e.getMessage(), e);
        }
    }
}
