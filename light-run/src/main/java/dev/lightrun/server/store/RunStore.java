package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where runs live. Hides SQL: {@link SqliteRunStore} (one file, the default) and {@link PostgresRunStore} (a database
 * several servers can share) keep the same rows and this same contract. Thread-safe; every write is durable when the
 * call returns, so a state is never acknowledged before it is stored.
 */
public interface RunStore extends AutoCloseable {

    /**
     * Records a new run with what is needed to finish it after a restart, and for a queued run the request it will
     * start with ({@code pendingRequest}, null otherwise).
     */
    void create(RunState state, RunPlan plan, byte[] pendingRequest);

    /** Records that a queued run started; its pending request is dropped (it holds env values and input). */
    void started(RunState state);

    /** Queued runs, oldest first, with the requests they will start with. */
    List<Queued> queued();

    /** Replaces the state of an existing run (a no-op for a run that was deleted meanwhile). */
    void update(RunState state);

    /**
     * Records a run's final state and, in the same transaction, its pending callback (if {@code callbackBody} is not
     * null), so a crash cannot keep one without the other.
     */
    void finish(RunState state, byte[] callbackBody);

    Optional<RunState> find(String id);

    Optional<RunPlan> plan(String id);

    /** Runs recorded as running, oldest first: what start-up recovery must reconcile. */
    List<RunState> running();

    /**
     * One page, newest first; {@code status} null for all; {@code owner} (a key's name) null for every owner's runs;
     * {@code cursor} is the last id of the previous page.
     */
    Page page(RunStatus status, String owner, int limit, String cursor);

    /** Removes the run and its pending callback; true when it existed. */
    boolean delete(String id);

    /** Callbacks not delivered yet, oldest first. */
    List<PendingCallback> pendingCallbacks();

    /** Records one delivery attempt; {@code delivered} or {@code gaveUp} end the callback's life. */
    void callbackAttempted(String runId, int httpStatus, boolean delivered, boolean gaveUp, Instant at);

    /**
     * Logs where the store is and what opening it migrated (one INFO line, no secret). Not done when it opens: the
     * server opens the store while it waits for Docker, and a server that cannot start for want of Docker says only
     * that.
     */
    void logOpened();

    @Override
    void close();

    /** A queued run and its pending request (JSON). {@link #toString()} leaves the request out. */
    record Queued(RunState state, byte[] request) {
        @Override
        public String toString() {
            return "Queued[" + state.id() + "]";
        }
    }

    /** A page of runs and the cursor of the next one (null on the last page). */
    record Page(List<RunState> runs, String next) {
        public Page {
            runs = List.copyOf(runs);
        }
    }

    /** A callback waiting for delivery. {@link #toString()} masks the secret. */
    record PendingCallback(String runId, String url, String secret, byte[] body, int attempts) {
        @Override
        public String toString() {
            return "PendingCallback[runId=" + runId + ", url=" + url + ", attempts=" + attempts + "]";
        }
    }
}
