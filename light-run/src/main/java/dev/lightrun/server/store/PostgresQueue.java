package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.Cluster.Claimed;
import dev.lightrun.server.store.Cluster.Enqueued;
import dev.lightrun.server.store.Cluster.Signal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@link PostgresCluster}'s shared queue: the {@code runs} rows with status {@code queued} and no replica,
 * admitted under one advisory lock and claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so that replicas
 * admitting or claiming at once neither overfill the queue nor take a run twice. A claim can go back to the queue
 * ({@link PostgresRequeue}) until {@link #launched} drops its request.
 */
final class PostgresQueue {
    /** The advisory lock every admission takes, so that two replicas cannot both take the queue's last place. */
    private static final long ADMISSION_LOCK = 0x6c69676874L;
    /**
     * The free slots admission counts are those of replicas heard from within this long. Longer than any sensible
     * silence setting on purpose: a replica that just died still counts for a while, so at worst a run is admitted
     * that then waits (never one refused while slots are free).
     */
    private static final String RECENT = "interval '1 minute'";

    private final PostgresTransactions transactions;
    private final PostgresSignals signals;
    private final String replica;

    PostgresQueue(PostgresTransactions transactions, PostgresSignals signals, String replica) {
        this.transactions = transactions;
        this.signals = signals;
        this.replica = replica;
    }

    /** See {@link Cluster#enqueue}. */
    Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, int maxQueue, Integer ownerMaxQueued) {
        return transactions.inTransaction(c -> {
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                lock.setLong(1, ADMISSION_LOCK);
                lock.execute();
            }
            long waiting;
            long ownerWaiting;
            long free;
            try (PreparedStatement st = c.prepareStatement("""
                    SELECT count(*), count(*) FILTER (WHERE owner IS NOT DISTINCT FROM ?),
                        (SELECT COALESCE(sum(p.slots), 0) - (SELECT count(*) FROM runs r JOIN replicas a
                             ON a.name = r.replica WHERE r.status = 'running' AND a.heartbeat_at > now() - %s)
                         FROM replicas p WHERE p.heartbeat_at > now() - %s)
                    FROM runs WHERE status = 'queued' AND replica IS NULL""".formatted(RECENT, RECENT))) {
                st.setString(1, queued.owner());
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    waiting = rs.getLong(1);
                    ownerWaiting = rs.getLong(2);
                    free = Math.max(0, rs.getLong(3));
                }
            }
            // A run that a free slot will take at once does not wait: the limits count the runs that would.
            boolean startsAtOnce = free > waiting;
            if (!startsAtOnce && ownerMaxQueued != null && ownerWaiting >= ownerMaxQueued) {
                return Enqueued.OWNER_QUEUE_FULL;
            }
            if (waiting - free >= maxQueue) {
                return Enqueued.QUEUE_FULL;
            }
            try (PreparedStatement st = c.prepareStatement("INSERT INTO runs(id, status, owner, state, plan, request,"
                    + " updated_at) VALUES (?, 'queued', ?, ?, ?, ?, now())")) {
                st.setString(1, queued.id());
                st.setString(2, queued.owner());
                st.setString(3, StoredJson.write(queued));
                st.setString(4, StoredJson.write(plan));
                st.setBytes(5, request);
                st.executeUpdate();
            }
            signals.notify(c, Signal.QUEUED);
            return Enqueued.QUEUED;
        });
    }

    /** See {@link Cluster#claim}. */
    Optional<Claimed> claim(Function<String, Integer> maxConcurrentOf) {
        return transactions.inTransaction(c -> {
            Set<String> atCap = new HashSet<>();
            while (true) {
                String id;
                String owner;
                RunState queued;
                byte[] request;
                String traceparent;
                try (PreparedStatement st = c.prepareStatement("""
                        SELECT r.id, r.owner, r.state, r.request, r.plan FROM runs r
                        LEFT JOIN queue_turns t ON t.owner = COALESCE(r.owner, '')
                        WHERE r.status = 'queued' AND r.replica IS NULL AND NOT (COALESCE(r.owner, '') = ANY (?))
                        ORDER BY COALESCE(t.last_served, 0), r.id
                        LIMIT 1 FOR UPDATE OF r SKIP LOCKED""")) {
                    st.setArray(1, c.createArrayOf("text", atCap.toArray()));
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) {
                            return Optional.empty();
                        }
                        id = rs.getString(1);
                        owner = rs.getString(2);
                        queued = StoredJson.read(rs.getString(3), RunState.class);
                        request = rs.getBytes(4);
                        traceparent = StoredJson.read(rs.getString(5), RunPlan.class).traceparent();
                    }
                }
                Integer cap = owner == null ? null : maxConcurrentOf.apply(owner);
                if (cap != null && runningOf(c, owner) >= cap) {
                    atCap.add(owner);
                    continue;
                }
                RunState running = queued.startedNow().withReplica(replica);
                try (PreparedStatement st = c.prepareStatement("UPDATE runs SET status = 'running', replica = ?,"
                        + " state = ?, updated_at = now() WHERE id = ?")) {
                    st.setString(1, replica);
                    st.setString(2, StoredJson.write(running));
                    st.setString(3, id);
                    st.executeUpdate();
                }
                try (PreparedStatement st = c.prepareStatement("""
                        INSERT INTO queue_turns(owner, last_served) VALUES (?, nextval('queue_turns_seq'))
                        ON CONFLICT (owner) DO UPDATE SET last_served = EXCLUDED.last_served""")) {
                    st.setString(1, owner == null ? "" : owner);
                    st.executeUpdate();
                }
                return Optional.of(new Claimed(running, request, traceparent));
            }
        });
    }

    /** An owner's running runs on every replica, counted under its own lock so that two claims cannot both fit. */
    private static long runningOf(Connection c, String owner) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            lock.setString(1, "light-run owner " + owner);
            lock.execute();
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT count(*) FROM runs WHERE owner = ? AND status = 'running'")) {
            st.setString(1, owner);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** See {@link Cluster#launched}. */
    boolean launched(String id) {
        return transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE runs SET request = NULL WHERE id = ?"
                    + " AND status = 'running' AND replica = ?")) {
                st.setString(1, id);
                st.setString(2, replica);
                return st.executeUpdate() > 0;
            }
        });
    }

    /** See {@link Cluster#withdraw}. */
    Optional<RunState> withdraw(String id) {
        return transactions.inTransaction(c -> {
            RunState state;
            // Waits for a claim of the row in progress; then sees the row as that claim left it.
            try (PreparedStatement st = c.prepareStatement("SELECT state FROM runs WHERE id = ? AND status = 'queued'"
                    + " AND replica IS NULL FOR UPDATE")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    state = StoredJson.read(rs.getString(1), RunState.class);
                }
            }
            try (PreparedStatement st = c.prepareStatement("UPDATE runs SET replica = ? WHERE id = ?")) {
                st.setString(1, replica);
                st.setString(2, id);
                st.executeUpdate();
            }
            return Optional.of(state.withReplica(replica));
        });
    }

    /** See {@link Cluster#queueLength}. */
    int queueLength() {
        return transactions.inTransaction(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT count(*) FROM runs WHERE status = 'queued' AND replica IS NULL")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }
}
