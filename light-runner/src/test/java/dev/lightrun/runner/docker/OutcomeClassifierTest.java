package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.docker.OutcomeClassifier.Verdict;
import dev.lightrun.runner.docker.RunControl.Ending;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class OutcomeClassifierTest {
    private static final RunSpec SPEC = RunSpec.builder("busybox").timeout(Duration.ofSeconds(2))
            .limits(new Limits(64 * Limits.MIB, 1.0, 100, null, false)).build();
    private static final RunError START_FAILED = new RunError(ErrorCode.START_FAILED, "starting run r1 failed: boom");

    private static Verdict classify(Ending ending, Integer exitCode, boolean oomKilled, RunError failure) {
        return OutcomeClassifier.classify(ending, exitCode, oomKilled, failure, SPEC);
    }

    @Test
    void timedOutQuotesTheTimeout() {
        assertThat(classify(Ending.TIMED_OUT, 137, false, null)).isEqualTo(new Verdict(RunStatus.TIMED_OUT,
                new RunError(ErrorCode.TIMED_OUT, "run exceeded its timeout of 2 s and was killed")));
    }

    @Test
    void timedOutQuotesATimeoutFinerThanSecondsInMilliseconds() {
        RunSpec spec = RunSpec.builder("busybox").timeout(Duration.ofMillis(1500)).build();

        assertThat(OutcomeClassifier.classify(Ending.TIMED_OUT, 137, false, null, spec).error().message())
                .isEqualTo("run exceeded its timeout of 1500 ms and was killed");
    }

    @Test
    void cancelledIsCancelled() {
        assertThat(classify(Ending.CANCELLED, 137, false, null)).isEqualTo(new Verdict(RunStatus.CANCELLED,
                new RunError(ErrorCode.CANCELLED, "run was cancelled by request")));
    }

    @Test
    void stoppedIsCancelledWithTheStopsSignalAndGrace() {
        assertThat(classify(Ending.stopped("SIGTERM, grace 5 s"), 0, false, null)).isEqualTo(new Verdict(
                RunStatus.CANCELLED, new RunError(ErrorCode.STOPPED, "run was stopped by request (SIGTERM, grace 5 s)")));
    }

    @Test
    void oomKilledFailsQuotingTheMemoryLimit() {
        assertThat(classify(Ending.EXITED, 137, true, null)).isEqualTo(new Verdict(RunStatus.FAILED,
                new RunError(ErrorCode.OOM_KILLED, "container was killed for exceeding its memory limit of 64 MiB")));
    }

    @Test
    void nonZeroExitFailsWithTheCode() {
        assertThat(classify(Ending.EXITED, 123, false, null)).isEqualTo(new Verdict(RunStatus.FAILED,
                new RunError(ErrorCode.NONZERO_EXIT, "container exited with code 123")));
    }

    @Test
    void aFailureFailsWithItself() {
        assertThat(classify(Ending.OPEN, null, false, START_FAILED))
                .isEqualTo(new Verdict(RunStatus.FAILED, START_FAILED));
    }

    @Test
    void zeroExitSucceeds() {
        assertThat(classify(Ending.EXITED, 0, false, null)).isEqualTo(new Verdict(RunStatus.SUCCEEDED, null));
    }

    @Test
    void aCancelOutranksAFailureOnTheWay() {
        assertThat(classify(Ending.CANCELLED, null, false, START_FAILED).error().code()).isEqualTo(ErrorCode.CANCELLED);
    }

    @Test
    void aFailureOutranksMemoryAndTheExitCode() {
        RunError refused = new RunError(ErrorCode.EXTRACTION_REFUSED, "extracting the files of run r1 failed");

        assertThat(classify(Ending.EXITED, 137, true, refused)).isEqualTo(new Verdict(RunStatus.FAILED, refused));
    }

    @Test
    void memoryOutranksTheExitCode() {
        assertThat(classify(Ending.EXITED, 137, true, null).error().code()).isEqualTo(ErrorCode.OOM_KILLED);
    }
}
