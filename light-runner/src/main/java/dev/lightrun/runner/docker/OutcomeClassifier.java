package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.docker.RunControl.Ending;

/**
 * Judges how a run ended: its status and the error saying why, from who ended it, how its container exited and the
 * first failure on the way. A pure function: no Docker, no clock, no state.
 */
final class OutcomeClassifier {

    /** A run's status and, unless it succeeded, why not. */
    record Verdict(RunStatus status, RunError error) {
    }

    private OutcomeClassifier() {
    }

    /**
     * A cancel, stop or timeout decides the status whatever else went wrong; a run that ended by itself (or never got
     * as far as a claim) fails with its first failure, else for memory, else for its exit code, and otherwise succeeded.
     *
     * @param ending    who ended the run ({@link RunControl.Outcome#NONE} when it failed before anything claimed it)
     * @param exitCode  the container's exit code; null when it never ran to an exit
     * @param oomKilled whether the kernel killed it for exceeding its memory limit
     * @param failure   the first failure on the way (start, wait, extraction), or null
     * @param spec      the run's spec: the messages quote its timeout and memory limit
     */
    static Verdict classify(Ending ending, Integer exitCode, boolean oomKilled, RunError failure, RunSpec spec) {
        return switch (ending.outcome()) {
            case TIMED_OUT -> new Verdict(RunStatus.TIMED_OUT, new RunError(ErrorCode.TIMED_OUT,
                    "run exceeded its timeout of " + RunControl.describe(spec.timeout()) + " and was killed"));
            case CANCELLED -> new Verdict(RunStatus.CANCELLED,
                    new RunError(ErrorCode.CANCELLED, "run was cancelled by request"));
            case STOPPED -> new Verdict(RunStatus.CANCELLED,
                    new RunError(ErrorCode.STOPPED, "run was stopped by request (" + ending.stopDescription() + ")"));
            case EXITED, NONE -> {
                if (failure != null) {
                    yield new Verdict(RunStatus.FAILED, failure);
                }
                if (oomKilled) {
                    yield new Verdict(RunStatus.FAILED, new RunError(ErrorCode.OOM_KILLED,
                            "container was killed for exceeding its memory limit of "
                                    + spec.limits().memoryBytes() / Limits.MIB + " MiB"));
                }
                if (exitCode != null && exitCode != 0) {
                    yield new Verdict(RunStatus.FAILED,
                            new RunError(ErrorCode.NONZERO_EXIT, "container exited with code " + exitCode));
                }
                yield new Verdict(RunStatus.SUCCEEDED, null);
            }
        };
    }
}
