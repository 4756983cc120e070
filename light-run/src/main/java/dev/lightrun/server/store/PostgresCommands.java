package dev.lightrun.server.store;

import dev.lightrun.server.store.Cluster.Command;
import dev.lightrun.server.store.Cluster.CommandOutcome;
import dev.lightrun.server.store.Cluster.Signal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@link PostgresCluster}'s {@code run_commands} rows: a cancel, stop, pause or resume of a run that another
 * replica executes, since only the replica holding the container can act on it. Each row is written with the signal
 * that wakes its target, and marked done with the one that wakes its sender.
 */
final class PostgresCommands {
    private final PostgresTransactions transactions;
    private final PostgresSignals signals;
    private final String replica;

    PostgresCommands(PostgresTransactions transactions, PostgresSignals signals, String replica) {
        this.transactions = transactions;
        this.signals = signals;
        this.replica = replica;
    }

    /** See {@link Cluster#sendCommand}. */
    long sendCommand(String target, String runId, Command.Action action, String signal, Long graceMs) {
        return transactions.inTransaction(c -> {
            long id;
            try (PreparedStatement st = c.prepareStatement("INSERT INTO run_commands(run_id, replica, action, signal,"
                    + " grace_ms) VALUES (?, ?, ?, ?, ?) RETURNING id")) {
                st.setString(1, runId);
                st.setString(2, target);
                st.setString(3, action.name());
                st.setString(4, signal);
                st.setObject(5, graceMs);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            signals.notify(c, Signal.command(target));
            return id;
        });
    }

    /** See {@link Cluster#pendingCommands}. */
    List<Command> pendingCommands() {
        return transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT id, run_id, action, signal, grace_ms FROM"
                    + " run_commands WHERE replica = ? AND done_at IS NULL ORDER BY id")) {
                st.setString(1, replica);
                List<Command> commands = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        long grace = rs.getLong(5);
                        commands.add(new Command(rs.getLong(1), rs.getString(2),
                                Command.Action.valueOf(rs.getString(3)), rs.getString(4), rs.wasNull() ? null : grace));
                    }
                }
                return commands;
            }
        });
    }

    /** See {@link Cluster#commandDone}. */
    void commandDone(long id, Integer errorStatus, String errorCode, String errorMessage) {
        transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE run_commands SET done_at = now(), error_status = ?,"
                    + " error_code = ?, error_message = ? WHERE id = ?")) {
                st.setObject(1, errorStatus);
                st.setString(2, errorCode);
                st.setString(3, errorMessage);
                st.setLong(4, id);
                st.executeUpdate();
            }
            signals.notify(c, Signal.done(id));
            return null;
        });
    }

    /** See {@link Cluster#outcome}. */
    Optional<CommandOutcome> outcome(long id) {
        return transactions.inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("SELECT error_status, error_code, error_message FROM"
                    + " run_commands WHERE id = ? AND done_at IS NOT NULL")) {
                st.setLong(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    int status = rs.getInt(1);
                    return Optional.of(new CommandOutcome(rs.wasNull() ? null : status, rs.getString(2),
                            rs.getString(3)));
                }
            }
        });
    }
}
