package dev.lightrun.server.store;

import dev.lightrun.server.store.Cluster.Signal;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The {@link PostgresCluster}'s wake-ups: {@code NOTIFY} on one channel per schema (so test databases that share a
 * server do not wake each other), received by one thread on a connection of its own, outside the pool. The queue and
 * the commands {@link #notify} inside their own transactions, so that a signal goes out only with the rows it
 * announces.
 */
final class PostgresSignals {
    /** Logs under the cluster's name, as before the cluster was split into parts: one logger for it all. */
    private static final Logger log = LoggerFactory.getLogger(PostgresCluster.class);
    private static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);
    private static final int POLL_MILLIS = 1000;

    private final PostgresTransactions transactions;
    private final Callable<Connection> listenerConnection;
    private final String channel;
    private volatile boolean closed;
    private volatile Connection listening;
    private Thread listener;

    /**
     * @param transactions       the store's connections, for the schema's name and {@link #signal}
     * @param listenerConnection opens the dedicated connection {@link #listen} holds
     */
    PostgresSignals(PostgresTransactions transactions, Callable<Connection> listenerConnection) {
        this.transactions = transactions;
        this.listenerConnection = listenerConnection;
        this.channel = "light_run_" + transactions.inTransaction(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                return rs.getString(1).toLowerCase().replaceAll("[^a-z0-9_]", "_");
            }
        });
    }

    /** See {@link Cluster#listen}. */
    synchronized void listen(Consumer<String> onSignal) {
        if (listener != null) {
            throw new IllegalStateException("already listening");
        }
        listener = Thread.ofPlatform().daemon().name("light-run-cluster-listener").start(() -> receive(onSignal));
    }

    private void receive(Consumer<String> onSignal) {
        boolean first = true;
        while (!closed) {
            try (Connection c = listenerConnection.call()) {
                listening = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + channel);
                }
                if (!first) {
                    onSignal.accept(Signal.RECONNECTED);
                }
                first = false;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification notification : notifications) {
                        deliver(onSignal, notification.getParameter());
                    }
                }
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                log.warn("cluster - the signal connection failed ({}); reconnecting", e.getMessage());
                sleep(RECONNECT_PAUSE);
            } finally {
                listening = null;
            }
        }
    }

    private static void deliver(Consumer<String> onSignal, String payload) {
        try {
            onSignal.accept(payload);
        } catch (RuntimeException e) {
            log.error("cluster - handling the signal '{}' failed", payload, e);
        }
    }

    /** See {@link Cluster#signal}. */
    void signal(String payload) {
        transactions.inTransaction(c -> {
            notify(c, payload);
            return null;
        });
    }

    /** Sends {@code payload} when {@code c}'s transaction commits (PostgreSQL holds a NOTIFY until then). */
    void notify(Connection c, String payload) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            st.setString(1, channel);
            st.setString(2, payload);
            st.execute();
        }
    }

    /** Stops listening: closes the signal connection and waits a little for the listener thread. */
    void close() {
        closed = true;
        Connection c = listening;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        Thread thread;
        synchronized (this) {
            thread = listener;
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
