package dev.lightrun.server.runs;

import dev.lightrun.runner.Execution;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs this process is executing: their {@link Execution}s, whether a client waits for each, and the runs between
 * their slot and their execution (being handed to the runner). A queued run can start at any moment, so a cancel may
 * arrive in that window: it is remembered and carried out as soon as the execution exists, exactly once. Thread-safe.
 */
final class LiveRuns {
    /** A run this process is executing, and whether a client is waiting for it. */
    private record Tracked(Execution execution, boolean detached) {
    }

    private final ConcurrentHashMap<String, Tracked> executions = new ConcurrentHashMap<>();
    private final Set<String> launching = ConcurrentHashMap.newKeySet();
    private final Set<String> cancelOnceTracked = ConcurrentHashMap.newKeySet();

    /** The run is being handed to the runner. */
    void launching(String id) {
        launching.add(id);
    }

    /** Handing it over is done (its execution is tracked, or starting it failed). */
    void launched(String id) {
        launching.remove(id);
        cancelOnceTracked.remove(id);
    }

    void track(String id, Execution execution, boolean detached) {
        executions.put(id, new Tracked(execution, detached));
        // After the put: a cancel that came while the run was being launched is carried out here, or by
        // cancelWhileStarting itself if it sees the execution first; whoever removes the mark does it.
        if (cancelOnceTracked.remove(id)) {
            execution.cancel();
        }
    }

    /**
     * A cancel for a run that is being handed to the runner and has no execution yet: remembered for it. False when
     * the run is not in that window (then it has an execution, or it is not ours).
     */
    boolean cancelWhileStarting(String id) {
        if (!launching.contains(id) || executions.containsKey(id)) {
            return false;
        }
        cancelOnceTracked.add(id);
        Tracked tracked = executions.get(id);
        if (tracked != null && cancelOnceTracked.remove(id)) {
            tracked.execution().cancel();
        }
        return true;
    }

    /** Whether the run is being handed to the runner and has no execution yet. */
    boolean starting(String id) {
        return launching.contains(id) && !executions.containsKey(id);
    }

    Optional<Execution> execution(String id) {
        return Optional.ofNullable(executions.get(id)).map(Tracked::execution);
    }

    boolean contains(String id) {
        return executions.containsKey(id);
    }

    void remove(String id) {
        executions.remove(id);
    }

    int size() {
        return executions.size();
    }

    /** Ids of the runs a client is waiting for (sync runs). */
    List<String> sync() {
        return executions.entrySet().stream().filter(e -> !e.getValue().detached()).map(Map.Entry::getKey).toList();
    }
}
