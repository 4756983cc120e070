package dev.lightrun.server.store;

import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.Cluster.Adopted;
import dev.lightrun.server.store.Cluster.Member;
import dev.lightrun.server.store.Cluster.Replica;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@link PostgresCluster}'s {@code replicas} rows: each replica's heartbeat (what it runs, where it answers),
 * read to tell the live ones from the silent, to find where a run executes, and to take over a forgotten replica's
 * runs. A name names one live process: {@link #checkNameFree}.
 */
final class PostgresReplicas {
    private final PostgresTransactions transactions;
    private final PostgresRequeue requeue;
    private final String replica;

    PostgresReplicas(PostgresTransactions transactions, PostgresRequeue requeue, String replica) {
        this.transactions = transactions;
        this.requeue = requeue;
        this.replica = replica;
    }

    /** See {@link Cluster#heartbeat}. */
    void heartbeat(Member me) {
        transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("""
                    INSERT INTO replicas(name, instance, host, url, slots, started_at, heartbeat_at)
                    VALUES (?, ?, ?, ?, ?, ?, now())
                    ON CONFLICT (name) DO UPDATE SET instance = EXCLUDED.instance, host = EXCLUDED.host,
                        url = EXCLUDED.url, slots = EXCLUDED.slots, started_at = EXCLUDED.started_at, heartbeat_at = now()""")) {
                st.setString(1, me.name());
                st.setString(2, me.instance());
                st.setString(3, me.host());
                st.setString(4, me.url());
                st.setInt(5, me.slots());
                st.setObject(6, OffsetDateTime.ofInstant(me.startedAt(), ZoneOffset.UTC));
                st.executeUpdate();
            }
            return null;
        });
    }

    /** See {@link PostgresCluster#checkNameFree}. */
    void checkNameFree(String instance, Duration silence) {
        Optional<String> other = transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT host FROM replicas WHERE name = ? AND instance <> ?"
                    + " AND heartbeat_at > now() - make_interval(secs => ?)")) {
                st.setString(1, replica);
                st.setString(2, instance);
                st.setDouble(3, silence.toMillis() / 1000.0);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
        if (other.isPresent()) {
            throw new StoreException("another light-run (on " + other.get() + ") is replica '" + replica
                    + "' and is alive; give each replica its own name (LIGHT_RUN_REPLICA_NAME)", null);
        }
    }

    /** See {@link Cluster#replicas}. */
    List<Replica> replicas(Duration silence) {
        return transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("""
                    SELECT p.name, p.host, p.url, p.slots,
                        (SELECT count(*) FROM runs r WHERE r.replica = p.name AND r.status = 'running'),
                        p.started_at, p.heartbeat_at, p.heartbeat_at > now() - make_interval(secs => ?)
                    FROM replicas p ORDER BY p.name""")) {
                st.setDouble(1, silence.toMillis() / 1000.0);
                List<Replica> rows = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Replica(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                                rs.getInt(5), rs.getObject(6, OffsetDateTime.class).toInstant(),
                                rs.getObject(7, OffsetDateTime.class).toInstant(), rs.getBoolean(8)));
                    }
                }
                return rows;
            }
        });
    }

    /** See {@link Cluster#adoptRunsOf}. */
    Adopted adoptRunsOf(String name) {
        requeue.requeueClaimsOf(name);
        return transactions.inTransaction(c -> {
            List<RunState> adopted = new ArrayList<>();
            try (PreparedStatement st = c.prepareStatement("UPDATE runs SET replica = ? WHERE replica = ?"
                    + " AND status = 'running' RETURNING state")) {
                st.setString(1, replica);
                st.setString(2, name);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        // Still naming the replica that executed it: that is where it was lost.
                        adopted.add(StoredJson.read(rs.getString(1), RunState.class));
                    }
                }
            }
            // Its finished runs whose callbacks were still being delivered: this replica resends them after a restart.
            List<String> callbacks = new ArrayList<>();
            try (PreparedStatement st = c.prepareStatement("""
                    UPDATE runs SET replica = ? WHERE replica = ? AND id IN
                        (SELECT run_id FROM callbacks WHERE delivered_at IS NULL AND gave_up_at IS NULL)
                    RETURNING id""")) {
                st.setString(1, replica);
                st.setString(2, name);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        callbacks.add(rs.getString(1));
                    }
                }
            }
            return new Adopted(adopted, callbacks);
        });
    }

    /** See {@link Cluster#remove}. */
    boolean remove(String name) {
        return transactions.update("DELETE FROM replicas WHERE name = ?", name) > 0;
    }

    /** See {@link Cluster#urlOf}. */
    Optional<String> urlOf(String name) {
        return transactions.single("SELECT url FROM replicas WHERE name = ?", name);
    }

    /** See {@link Cluster#replicaOf}. */
    Optional<String> replicaOf(String runId) {
        return transactions.single("SELECT replica FROM runs WHERE id = ?", runId);
    }
}
