package dev.lightrun.runner;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Runs containers. The SDK's one seam: Docker today ({@code dev.lightrun.runner.docker.DockerRunner}), Kubernetes
 * later. Implementations are thread-safe; many runs may go at once.
 */
public interface Runner extends AutoCloseable {

    /**
     * Starts a run and returns at once. Failures of the run itself (image missing, daemon gone, non-zero exit) are
     * reported in its {@link RunResult}, not thrown.
     */
    Execution start(RunSpec spec);

    /**
     * As {@link #start(RunSpec)}, asking {@code mayStart} once, at the last moment before the workload may begin (the
     * container created and filled, just before its start; a warm container, just before it is handed the run): when
     * it answers false the run ends {@code cancelled} without its workload ever having run. For a caller that must
     * record, before anything runs, that the run is its own (a replica claiming from a shared queue). This default asks
     * before {@link #start(RunSpec)}; a runner with a later moment overrides it.
     */
    default Execution start(RunSpec spec, BooleanSupplier mayStart) {
        if (!mayStart.getAsBoolean()) {
            throw new RunnerException(ErrorCode.CANCELLED, "run " + spec.runId() + " may not start");
        }
        return start(spec);
    }

    /** Starts a run and waits for its result. */
    default RunResult run(RunSpec spec) throws InterruptedException {
        return start(spec).await();
    }

    /**
     * Picks up a run started by an earlier process, by its run-id label. Empty when no container of that run exists
     * any more. The returned execution behaves like one from {@link #start}.
     */
    Optional<Execution> reattach(Reattach reattach);

    /** What the engine says about itself; throws {@link ErrorCode#DAEMON_UNREACHABLE} when it does not answer. */
    EngineInfo info();

    /** Creates a labelled network (for runs that should reach each other). */
    NetworkInfo createNetwork(NetworkSpec spec);

    /** Networks created by light-runner (labelled as ours), including its default isolated one. */
    List<NetworkInfo> listNetworks();

    /** Removes a network we created; {@link ErrorCode#NOT_FOUND} if absent, {@link ErrorCode#CONFLICT} while in use. */
    void removeNetwork(String name);

    /**
     * Removes everything labelled as ours that no live execution of this runner tracks and that is older than
     * {@code olderThan}: containers (with their volumes), networks of runs with no container attached (never the
     * default one, never one made by {@link #createNetwork}), and cached build images no container uses.
     */
    default ReapReport reapOrphans(Duration olderThan) {
        return reapOrphans(olderThan, olderThan);
    }

    /**
     * Like {@link #reapOrphans(Duration)}, with its own age for cached build images: those not used (by a run of
     * this runner) nor created within {@code unusedImagesFor} are removed, unless a container still uses them.
     * Networks created through {@link #createNetwork} are the caller's and are never reaped.
     */
    ReapReport reapOrphans(Duration olderThan, Duration unusedImagesFor);

    /**
     * The warm pools of this runner and how they are doing; empty when it has none. Not a default method on purpose:
     * a decorating runner (metrics, tests) must pass it on, or the pools it wraps would vanish from {@code /health}.
     */
    List<PoolStats> pools();

    @Override
    void close();
}
