package dev.lightrun.runner;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A run in progress, returned at once by {@link Runner#start(RunSpec)}. All methods are thread-safe. The first of
 * exit, cancel, stop and timeout decides the final status; later ones are no-ops that return false.
 */
public interface Execution {

    String runId();

    /** Kills the container now. Returns false when the run had already ended or been ended by something else. */
    boolean cancel();

    /**
     * Sends {@code signal} (e.g. {@code SIGTERM}) and kills the container when it has not exited after {@code grace}.
     * The run ends {@link RunStatus#CANCELLED} with error {@link ErrorCode#STOPPED}. Returns false when it had
     * already ended.
     */
    boolean stop(String signal, Duration grace);

    /**
     * Freezes every process of the container. The timeout keeps running while paused.
     *
     * @throws RunnerException {@link ErrorCode#CONFLICT} when not running or already paused
     */
    void pause();

    /**
     * Thaws a paused container.
     *
     * @throws RunnerException {@link ErrorCode#CONFLICT} when it is not paused
     */
    void resume();

    boolean isPaused();

    /** Completes once the run has ended and its container is removed; never completes exceptionally. */
    CompletableFuture<RunResult> result();

    /**
     * Completes once the run's container has started (a warm one: has been handed the run); never when the run ends
     * before that (refused, cancelled, its image not built). {@link Runner#start} returns before the image is pulled or
     * built and before the container exists: this says when it does. An implementation that cannot tell completes it
     * at once.
     */
    default CompletableFuture<Void> started() {
        return CompletableFuture.completedFuture(null);
    }

    /** Blocks until the run has ended. */
    default RunResult await() throws InterruptedException {
        try {
            return result().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("result futures never fail", e);
        }
    }

    /** Blocks up to {@code timeout}; empty when the run is still going. */
    default Optional<RunResult> await(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(result().get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("result futures never fail", e);
        }
    }
}
