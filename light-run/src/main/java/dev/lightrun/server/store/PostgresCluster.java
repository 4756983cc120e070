package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;

import javax.sql.DataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@link Cluster} on the PostgreSQL run store's database: the queue is the {@code runs} rows with status
 * {@code queued} and no replica, claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED}; signals are
 * {@code NOTIFY} on one channel per schema (so test databases that share a server do not wake each other), received
 * on a connection of its own. Every statement is short; the pool's connections are the store's.
 * <p>
 * Each job is a part of its own, so that each reads at once: {@link PostgresQueue} (admission and claims),
 * {@link PostgresRequeue} (claims going back), {@link PostgresReplicas} (the replicas' rows),
 * {@link PostgresCommands} (commands for another replica's runs) and {@link PostgresSignals} (the wake-ups), over
 * {@link PostgresTransactions}. This class only hands each call to its part.
 */
public final class PostgresCluster implements Cluster {
    /** A replica name is a label, a path segment and a payload: kept to a safe alphabet. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final String replica;
    private final PostgresSignals signals;
    private final PostgresQueue queue;
    private final PostgresRequeue requeue;
    private final PostgresReplicas replicas;
    private final PostgresCommands commands;

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
        this.replica = replica;
        PostgresTransactions transactions = new PostgresTransactions(pool);
        this.signals = new PostgresSignals(transactions, listenerConnection);
        this.queue = new PostgresQueue(transactions, signals, replica);
        this.requeue = new PostgresRequeue(transactions, signals, replica);
        this.replicas = new PostgresReplicas(transactions, requeue, replica);
        this.commands = new PostgresCommands(transactions, signals, replica);
    }

    @Override
    public String replica() {
        return replica;
    }

    // ---------------------------------------------------------------- the queue

    @Override
    public Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, int maxQueue, Integer ownerMaxQueued) {
        return queue.enqueue(queued, plan, request, maxQueue, ownerMaxQueued);
    }

    @Override
    public Optional<Claimed> claim(Function<String, Integer> maxConcurrentOf) {
        return queue.claim(maxConcurrentOf);
    }

    @Override
    public boolean launched(String id) {
        return queue.launched(id);
    }

    @Override
    public Optional<RunState> withdraw(String id) {
        return queue.withdraw(id);
    }

    @Override
    public int queueLength() {
        return queue.queueLength();
    }

    @Override
    public boolean requeueIfUnlaunched(String id) {
        return requeue.requeueIfUnlaunched(id);
    }

    @Override
    public int releaseSilentClaims(Duration silence) {
        return requeue.releaseSilentClaims(silence);
    }

    // ---------------------------------------------------------------- replicas

    @Override
    public void heartbeat(Member me) {
        replicas.heartbeat(me);
    }

    /**
     * Refuses a second live process under this replica's name (another data folder): two would take each other's
     * runs for their own. The same data folder coming back (a restart) is this replica.
     *
     * @throws StoreException when another process, heard from within {@code silence}, holds the name
     */
    public void checkNameFree(String instance, Duration silence) {
        replicas.checkNameFree(instance, silence);
    }

    @Override
    public List<Replica> replicas(Duration silence) {
        return replicas.replicas(silence);
    }

    @Override
    public Adopted adoptRunsOf(String name) {
        return replicas.adoptRunsOf(name);
    }

    @Override
    public boolean remove(String name) {
        return replicas.remove(name);
    }

    @Override
    public Optional<String> urlOf(String name) {
        return replicas.urlOf(name);
    }

    @Override
    public Optional<String> replicaOf(String runId) {
        return replicas.replicaOf(runId);
    }

    // ---------------------------------------------------------------- commands

    @Override
    public long sendCommand(String target, String runId, Command.Action action, String signal, Long graceMs) {
        return commands.sendCommand(target, runId, action, signal, graceMs);
    }

    @Override
    public List<Command> pendingCommands() {
        return commands.pendingCommands();
    }

    @Override
    public void commandDone(long id, Integer errorStatus, String errorCode, String errorMessage) {
        commands.commandDone(id, errorStatus, errorCode, errorMessage);
    }

    @Override
    public Optional<CommandOutcome> outcome(long id) {
        return commands.outcome(id);
    }

    // ---------------------------------------------------------------- wake-ups

    @Override
    public void listen(Consumer<String> onSignal) {
        signals.listen(onSignal);
    }

    @Override
    public void signal(String payload) {
        signals.signal(payload);
    }

    @Override
    public void close() {
        signals.close();
    }
}
