package dev.lightrun.server.store;

import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.Cluster.Signal;
import dev.lightrun.server.store.PostgresTransactions.Binder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts runs back in the {@link PostgresCluster}'s shared queue: claims never launched, and queued runs taken out of
 * line and not ended, of this replica (a start that failed), of replicas gone silent, or of a replica forgotten. A
 * class of its own because two parts need it: the cluster for the first two, {@link PostgresReplicas} when it adopts
 * a forgotten replica's runs.
 */
final class PostgresRequeue {
    /** Logs under the cluster's name, as before the cluster was split into parts: one logger for it all. */
    private static final Logger log = LoggerFactory.getLogger(PostgresCluster.class);

    private final PostgresTransactions transactions;
    private final PostgresSignals signals;
    private final String replica;

    PostgresRequeue(PostgresTransactions transactions, PostgresSignals signals, String replica) {
        this.transactions = transactions;
        this.signals = signals;
        this.replica = replica;
    }

    /** See {@link Cluster#requeueIfUnlaunched}. */
    boolean requeueIfUnlaunched(String id) {
        int requeued = requeue("r.id = ? AND r.replica = ?", st -> {
            st.setString(1, id);
            st.setString(2, replica);
        });
        return requeued > 0;
    }

    /** See {@link Cluster#releaseSilentClaims}. */
    int releaseSilentClaims(Duration silence) {
        return requeue("r.replica IN (SELECT name FROM replicas WHERE heartbeat_at < now() - make_interval(secs => ?))",
                st -> st.setDouble(1, silence.toMillis() / 1000.0));
    }

    /** Puts back in the queue what replica {@code name} holds and never started (see {@link #requeue}). */
    int requeueClaimsOf(String name) {
        return requeue("r.replica = ?", st -> st.setString(1, name));
    }

    /**
     * Puts back in the queue the rows {@code where} selects that are claims never launched, or queued runs taken out
     * of line and not ended; wakes the claimers when it put any back.
     */
    private int requeue(String where, Binder binder) {
        int count = transactions.inTransaction(c -> {
            List<RunState> back = new ArrayList<>();
            try (PreparedStatement st = c.prepareStatement("SELECT r.state FROM runs r WHERE " + where
                    + " AND ((r.status = 'running' AND r.request IS NOT NULL) OR r.status = 'queued')"
                    + " FOR UPDATE OF r SKIP LOCKED")) {
                binder.bind(st);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        back.add(StoredJson.read(rs.getString(1), RunState.class).requeued());
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement("UPDATE runs SET status = 'queued', replica = NULL,"
                    + " state = ?, updated_at = now() WHERE id = ?")) {
                for (RunState state : back) {
                    st.setString(1, StoredJson.write(state));
                    st.setString(2, state.id());
                    st.addBatch();
                }
                if (!back.isEmpty()) {
                    st.executeBatch();
                    signals.notify(c, Signal.QUEUED);
                }
            }
            return back.size();
        });
        if (count > 0) {
            log.info("queue - {} run(s) claimed and never started went back to the queue", count);
        }
        return count;
    }
}
