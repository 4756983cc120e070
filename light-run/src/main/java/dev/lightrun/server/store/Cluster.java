package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What replicas sharing one database share besides the runs: the queue every replica admits into and claims from,
 * the replicas' heartbeat rows, lifecycle commands for a run another replica executes, and a wake-up signal between
 * them. One replica's view: {@link #replica()} names it. Only {@link PostgresCluster} implements it; a server on
 * SQLite has none and keeps its queue in memory. Thread-safe.
 */
public interface Cluster extends AutoCloseable {

    /** This replica's name. */
    String replica();

    // ---------------------------------------------------------------- the queue

    /** What {@link #enqueue} did. */
    enum Enqueued { QUEUED, QUEUE_FULL, OWNER_QUEUE_FULL }

    /**
     * Records a queued run in the shared queue, unless {@code maxQueue} runs already wait in all, or
     * {@code ownerMaxQueued} (null: no limit) of its owner's. Checked and written under one database lock, so two
     * replicas admitting at once cannot both take the last place. Wakes every replica's claimer.
     */
    Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, int maxQueue, Integer ownerMaxQueued);

    /**
     * Claims the next run for this replica and records it running here, in one transaction: among queued runs no
     * replica holds, the oldest of the owner served least recently, skipping owners already running their
     * {@code maxConcurrentOf} (null: no cap) and rows another replica is claiming ({@code FOR UPDATE SKIP LOCKED}),
     * so no run is claimed twice. Empty when nothing is eligible.
     */
    Optional<Claimed> claim(Function<String, Integer> maxConcurrentOf);

    /**
     * The run's container exists: its request (env values, input) is dropped and the claim can no longer go back.
     * False when the run is not this replica's any more: this replica was silent for longer than the silence while it
     * launched (a long pause), so its claim went back to the queue; the caller must then stop what it started.
     */
    boolean launched(String id);

    /**
     * Takes a queued run out of line for this replica to end it (it is then this replica's run); empty when it is not
     * queued (any more: a replica may have just claimed it; this waits for that claim to commit).
     */
    Optional<RunState> withdraw(String id);

    /** Runs waiting in the shared queue. */
    int queueLength();

    /** A run of this replica that was claimed and never launched goes back to the queue; false when it was launched. */
    boolean requeueIfUnlaunched(String id);

    /**
     * Claims that replicas silent for longer than {@code silence} never launched, and queued runs they took out of
     * line, go back to the queue; returns how many.
     */
    int releaseSilentClaims(Duration silence);

    // ---------------------------------------------------------------- replicas

    /** Writes this replica's heartbeat row (and creates it on the first call). */
    void heartbeat(Member me);

    /** Every replica that has a row, by name; alive when its last heartbeat is younger than {@code silence}. */
    List<Replica> replicas(Duration silence);

    /**
     * For {@code light-run replicas forget}: the runs recorded running on {@code name}, made this replica's (so their
     * final state and callback are sent from here); its claims never launched go back to the queue first.
     */
    Adopted adoptRunsOf(String name);

    /** Deletes a replica's row; false when there was none. */
    boolean remove(String name);

    /** The API address of a replica (null when it has none or is unknown). */
    Optional<String> urlOf(String name);

    /** The replica executing a run (or that took it out of line to end it); empty while it waits or once unknown. */
    Optional<String> replicaOf(String runId);

    // ---------------------------------------------------------------- commands

    /** Asks {@code replica} to act on one of its runs; returns the command's id. Wakes that replica. */
    long sendCommand(String replica, String runId, Command.Action action, String signal, Long graceMs);

    /** Commands for this replica not done yet, oldest first. */
    List<Command> pendingCommands();

    /** Records that a command was carried out ({@code errorStatus} null) or refused with that error. Wakes the sender. */
    void commandDone(long id, Integer errorStatus, String errorCode, String errorMessage);

    /** A command's outcome; empty while it is not done. */
    Optional<CommandOutcome> outcome(long id);

    // ---------------------------------------------------------------- wake-ups

    /**
     * Starts listening for the other replicas' signals ({@code LISTEN}); {@code onSignal} gets each payload: see
     * {@link Signal}. Delivered on one thread; a lost connection is re-opened, and {@code onSignal} then gets
     * {@link Signal#RECONNECTED} (signals may have been missed).
     */
    void listen(Consumer<String> onSignal);

    /** Sends a signal to every replica listening (this one included). */
    void signal(String payload);

    @Override
    void close();

    /** The payloads of {@link #signal}. */
    final class Signal {
        /** A run was queued, or a slot may have freed: replicas with a free slot claim. */
        public static final String QUEUED = "queued";
        public static final String RECONNECTED = "reconnected";
        private static final String FINISHED = "finished:";
        private static final String COMMAND = "command:";
        private static final String DONE = "done:";

        private Signal() {
        }

        public static String finished(String runId) {
            return FINISHED + runId;
        }

        public static String command(String replica) {
            return COMMAND + replica;
        }

        public static String done(long commandId) {
            return DONE + commandId;
        }

        /** The run id of a {@link #finished} payload, or null. */
        public static String finishedRun(String payload) {
            return payload.startsWith(FINISHED) ? payload.substring(FINISHED.length()) : null;
        }

        /** The replica of a {@link #command} payload, or null. */
        public static String commandFor(String payload) {
            return payload.startsWith(COMMAND) ? payload.substring(COMMAND.length()) : null;
        }

        /** The command id of a {@link #done} payload, or -1. */
        public static long doneCommand(String payload) {
            try {
                return payload.startsWith(DONE) ? Long.parseLong(payload.substring(DONE.length())) : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /**
     * A claimed run, now running here, the request to start it with (JSON), and the trace parent of the request that
     * submitted it (null: none).
     */
    record Claimed(RunState running, byte[] request, String traceparent) {
        public Claimed(RunState running, byte[] request) {
            this(running, request, null);
        }

        @Override
        public String toString() {
            return "Claimed[" + running.id() + "]";
        }
    }

    /** What {@link #adoptRunsOf} took over: the runs recorded running there, and the runs whose callbacks are due. */
    record Adopted(List<RunState> running, List<String> callbacks) {
    }

    /** This replica as its heartbeat row shows it. */
    record Member(String name, String instance, String host, String url, int slots, Instant startedAt) {
    }

    /** A replica's row. */
    record Replica(String name, String host, String url, int slots, int running, Instant startedAt,
                   Instant heartbeatAt, boolean alive) {
    }

    /** A lifecycle call for the replica executing the run. */
    record Command(long id, String runId, Action action, String signal, Long graceMs) {
        public enum Action { CANCEL, STOP, PAUSE, RESUME }
    }

    /** How a command ended: {@code errorStatus} null when it was carried out. */
    record CommandOutcome(Integer errorStatus, String errorCode, String errorMessage) {
    }
}
