package dev.lightrun.server.runs;

import dev.lightrun.server.model.RunState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The runs this process is finishing, each with the future of its final state: a sync request waits on it, a log
 * follow waits for it to be stored, shutdown waits for it. Completed once the final state is in the store. Thread-safe.
 */
final class FinalStates {
    private static final Logger log = LoggerFactory.getLogger(FinalStates.class);

    private final ConcurrentHashMap<String, CompletableFuture<RunState>> pending = new ConcurrentHashMap<>();

    /** A run just recorded, with the future its final state will complete (registered before anyone learns its id). */
    void put(String id, CompletableFuture<RunState> future) {
        pending.put(id, future);
    }

    /** The run's state is stored (final, or queued at shutdown): whoever waits gets it. */
    void complete(String id, RunState state) {
        CompletableFuture<RunState> future = pending.remove(id);
        if (future != null) {
            future.complete(state);
        }
    }

    /** A run now executing here: its end is awaited here (by a log follow, by shutdown) even if nobody asked yet. */
    void expect(String id) {
        pending.putIfAbsent(id, new CompletableFuture<>());
    }

    /** The run was refused after all (nothing recorded): nobody will complete it. */
    void drop(String id) {
        pending.remove(id);
    }

    /** The runs someone here waits for. */
    Set<String> waited() {
        return Set.copyOf(pending.keySet());
    }

    /**
     * Waits at most {@code limit} for the run's state to be stored; returns at once for a run that is not in flight
     * here (already recorded, or never ours), and when the limit passes (the caller decides what then).
     */
    void await(String id, Duration limit) {
        CompletableFuture<RunState> future = pending.get(id);
        if (future == null) {
            return;
        }
        try {
            future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // still running: the caller decides
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("run {} - finished with an error: {}", id, e.getCause().toString());
        }
    }
}
