package dev.lightrun.runner.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.WaitResponse;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.RunnerException;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A started container of a warm pool, idle on its waiting shell until a run claims it; used by one run at most, then
 * removed. Its output is already attached ({@link #attached}, bound to the run's pump at claim) and its exit already
 * awaited ({@link #exit}), so a warm start spends no round trip on either.
 *
 * @param name        the container's own name, {@code pool-<random>}: its files folder and its run-id label
 * @param containerId the Engine's id
 * @param folder      the host folder bind-mounted at the profile's workdir
 * @param profile     the pool it belongs to
 * @param fifo        whether its go signal is a FIFO ({@code runc}) or a file it polls for (sandboxed runtimes
 *                    such as gVisor, which do not pass a host FIFO through)
 * @param attached    its stdout/stderr stream, opened before start
 * @param exit        completes with its exit code when it exits
 */
record PooledContainer(String name, String containerId, Path folder, PoolProfile profile, boolean fifo,
                       LogPump.Follower attached, ExitWatch exit) implements WarmPool.Member {

    @Override
    public boolean exited() {
        return exit.code.isDone();
    }

    /** The container's exit code, once it exits (the run's timeout ends it). */
    int awaitExit(String runId) {
        try {
            return exit.code.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerException(ErrorCode.DOCKER_ERROR, "interrupted while waiting for run " + runId, e);
        } catch (ExecutionException e) {
            throw DockerErrors.translate(e.getCause(), "waiting for run " + runId, ErrorCode.DOCKER_ERROR);
        }
    }

    /** The Engine's wait, opened when the container started: its one status is the exit code. */
    static final class ExitWatch extends ResultCallback.Adapter<WaitResponse> {
        final CompletableFuture<Integer> code = new CompletableFuture<>();

        @Override
        public void onNext(WaitResponse response) {
            code.complete(response.getStatusCode());
        }

        @Override
        public void onError(Throwable throwable) {
            code.completeExceptionally(throwable);
            super.onError(throwable);
        }

        @Override
        public void onComplete() {
            code.completeExceptionally(new IllegalStateException("the wait ended without an exit code"));
            super.onComplete();
        }
    }
}
