package dev.lightrun.server.cli.client;

import dev.lightrun.client.RunState;
import dev.lightrun.client.RunStatus;

/**
 * {@code light-run run}'s exit code, as {@code docker run}'s: the workload's own exit code when it ran to the end,
 * otherwise one of the codes below, which shells already read the same way ({@code timeout(1)}'s 124, 128 + SIGINT).
 */
final class RunExitCode {
    /** light-run could not run it: an API error, no server, image not found, start or build failed, files refused. */
    static final int NOT_RUN = 125;
    /** The run exceeded its timeout and was killed. */
    static final int TIMED_OUT = 124;
    /** The run was cancelled (Ctrl-C here, or cancel/stop from elsewhere). */
    static final int CANCELLED = 130;

    private RunExitCode() {
    }

    static int of(RunState state) {
        if (state.status() == RunStatus.CANCELLED) {
            return CANCELLED;
        }
        if (state.timedOut()) {
            return TIMED_OUT;
        }
        Integer exitCode = state.exitCode();
        if (state.isSucceeded()) {
            return exitCode == null ? 0 : exitCode;
        }
        // Failed with the workload's own code (OOM-killed is 137, as docker run); failed with 0 or none is ours.
        return exitCode != null && exitCode != 0 ? exitCode : NOT_RUN;
    }
}
