package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@link Cluster} on the PostgreSQL run store's database: the queue is the {@code runs} rows with status
 * {@code queued} and no replica, claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED}; signals are
 * {@code NOTIFY} on one channel per schema (so test databases that share a server do not wake each other), received
 * on a connection of its own. Every statement is short; the pool's connections are the store's.
 */
public final class PostgresCluster implements Cluster {
    private static final Logger log = LoggerFactory.getLogger(PostgresCluster.class);
    /** A replica name is a label, a path segment and a payload: kept to a safe alphabet. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    /** The advisory lock every admission takes, so that two replicas cannot both take the queue's last place. */
    private static final long ADMISSION_LOCK = 0x6c69676874L;
    private static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);
    /**
     * The free slots admission counts are those of replicas heard from within this long. Longer than any sensible
     * silence setting on purpose: a replica that just died still counts for a while, so at worst a run is admitted
     * that then waits (never one refused while slots are free).
     */
    private static final String RECENT = "interval '1 minute'";
    private static final int POLL_MILLIS = 1000;

    private final DataSource pool;
    private final Callable<Connection> listenerConnection;
    private final String replica;
    private final String channel;
    private volatile boolean closed;
    private volatile Connection listening;
    private Thread listener;

    /**
     * @param pool               the store's connections
     * @param listenerConnection opens the dedicated connection {@link #listen} holds
     * @param replica            this replica's name ({@link #NAME})
     */
    PostgresCluster(DataSource pool, Callable<Connection> listenerConnection, String replica) {
        if (!NAME.matcher(replica).matches()) {
            throw new IllegalArgumentException("a replica name is 1-63 letters, digits, '.', '_' or '-' (not first): "
                    + replica);
        }
        this.pool = pool;
        this.listenerConnection = listenerConnection;
        this.replica = replica;
        this.channel = "light_run_" + inTransaction(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                return rs.getString(1).toLowerCase().replaceAll("[^a-z0-9_]", "_");
            }
        });
    }

    @Override
    public String replica() {
        return replica;
    }

    // ---------------------------------------------------------------- the queue

    @Override
    public Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, int maxQueue, Integer ownerMaxQueued) {
        return inTransaction(c -> {
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
            notify(c, Signal.QUEUED);
            return Enqueued.QUEUED;
        });
    }

    @Override
    public Optional<Claimed> claim(Function<String, Integer> maxConcurrentOf) {
        return inTransaction(c -> {
            Set<String> atCap = new HashSet<>();
            while (true) {
                String id;
                String owner;
                RunState queued;
                byte[] request;
                try (PreparedStatement st = c.prepareStatement("""
                        SELECT r.id, r.owner, r.state, r.request FROM runs r
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
                return Optional.of(new Claimed(running, request));
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

    @Override
    public boolean launched(String id) {
        return inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE runs SET request = NULL WHERE id = ?"
                    + " AND status = 'running' AND replica = ?")) {
                st.setString(1, id);
                st.setString(2, replica);
                return st.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Optional<RunState> withdraw(String id) {
        return inTransaction(c -> {
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

    @Override
    public int queueLength() {
        return inTransaction(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT count(*) FROM runs WHERE status = 'queued' AND replica IS NULL")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    @Override
    public boolean requeueIfUnlaunched(String id) {
        int requeued = requeue("r.id = ? AND r.replica = ?", st -> {
            st.setString(1, id);
            st.setString(2, replica);
        });
        return requeued > 0;
    }

    @Override
    public int releaseSilentClaims(Duration silence) {
        return requeue("r.replica IN (SELECT name FROM replicas WHERE heartbeat_at < now() - make_interval(secs => ?))",
                st -> st.setDouble(1, silence.toMillis() / 1000.0));
    }

    /**
     * Puts back in the queue the rows {@code where} selects that are claims never launched, or queued runs taken out
     * of line and not ended; wakes the claimers when it put any back.
     */
    private int requeue(String where, Binder binder) {
        int count = inTransaction(c -> {
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
                    notify(c, Signal.QUEUED);
                }
            }
            return back.size();
        });
        if (count > 0) {
            log.info("queue - {} run(s) claimed and never started went back to the queue", count);
        }
        return count;
    }

    // ---------------------------------------------------------------- replicas

    @Override
    public void heartbeat(Member me) {
        inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("""
                    INSERT INTO replicas(name, instance, host, url, slots, running, started_at, heartbeat_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, now())
                    ON CONFLICT (name) DO UPDATE SET instance = EXCLUDED.instance, host = EXCLUDED.host,
                        url = EXCLUDED.url, slots = EXCLUDED.slots, running = EXCLUDED.running,
                        started_at = EXCLUDED.started_at, heartbeat_at = now()""")) {
                st.setString(1, me.name());
                st.setString(2, me.instance());
                st.setString(3, me.host());
                st.setString(4, me.url());
                st.setInt(5, me.slots());
                st.setInt(6, me.running());
                st.setObject(7, OffsetDateTime.ofInstant(me.startedAt(), ZoneOffset.UTC));
                st.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Refuses a second live process under this replica's name (another data folder): two would take each other's
     * runs for their own. The same data folder coming back (a restart) is this replica.
     */
    public void checkNameFree(String instance, Duration silence) {
        Optional<String> other = inTransaction(c -> {
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

    @Override
    public List<Replica> replicas(Duration silence) {
        return inTransaction(c -> {
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

    @Override
    public Adopted adoptRunsOf(String name) {
        requeue("r.replica = ?", st -> st.setString(1, name));
        return inTransaction(c -> {
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

    @Override
    public boolean remove(String name) {
        return update("DELETE FROM replicas WHERE name = ?", name) > 0;
    }

    @Override
    public Optional<String> urlOf(String name) {
        return single("SELECT url FROM replicas WHERE name = ?", name);
    }

    @Override
    public Optional<String> replicaOf(String runId) {
        return single("SELECT replica FROM runs WHERE id = ?", runId);
    }

    // ---------------------------------------------------------------- commands

    @Override
    public long sendCommand(String target, String runId, Command.Action action, String signal, Long graceMs) {
        return inTransaction(c -> {
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
            notify(c, Signal.command(target));
            return id;
        });
    }

    @Override
    public List<Command> pendingCommands() {
        return inTransaction(c -> {
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

    @Override
    public void commandDone(long id, Integer errorStatus, String errorCode, String errorMessage) {
        inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement("UPDATE run_commands SET done_at = now(), error_status = ?,"
                    + " error_code = ?, error_message = ? WHERE id = ?")) {
                st.setObject(1, errorStatus);
                st.setString(2, errorCode);
                st.setString(3, errorMessage);
                st.setLong(4, id);
                st.executeUpdate();
            }
            notify(c, Signal.done(id));
            return null;
        });
    }

    @Override
    public Optional<CommandOutcome> outcome(long id) {
        return inTransaction(c -> {
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

    // ---------------------------------------------------------------- wake-ups

    @Override
    public synchronized void listen(Consumer<String> onSignal) {
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

    @Override
    public void signal(String payload) {
        inTransaction(c -> {
            notify(c, payload);
            return null;
        });
    }

    private void notify(Connection c, String payload) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            st.setString(1, channel);
            st.setString(2, payload);
            st.execute();
        }
    }

    @Override
    public void close() {
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

    // ---------------------------------------------------------------- plumbing

    private interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    /** Runs {@code work} in one transaction, committed when it returns, rolled back when it throws. */
    private <T> T inTransaction(Work<T> work) {
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

    private int update(String sql, String parameter) {
        return inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, parameter);
                return st.executeUpdate();
            }
        });
    }

    private Optional<String> single(String sql, String parameter) {
        return inTransaction(c -> {
            try (PreparedStatement st = c.prepareStatement(sql)) {
                st.setString(1, parameter);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
