package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.RunControl.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The control state machine without Docker: a recording container stands in for the real one. */
class RunControlTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final RecordingContainer container = new RecordingContainer();
    private final RunControl control = new RunControl("r1", Duration.ofSeconds(30), scheduler);

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    /** Records what the control did to it; {@code running} false answers signals like an exited container. */
    private static final class RecordingContainer implements RunControl.Container {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean running = true;

        @Override
        public boolean signal(String signal) {
            calls.add(signal);
            return running;
        }

        @Override
        public void pause() {
            calls.add("pause");
        }

        @Override
        public void unpause() {
            calls.add("unpause");
        }
    }

    @Test
    void aRefusedSecondStopKeepsTheWinningStopsDescription() {
        control.started(container, LONG);

        assertThat(control.stop("SIGTERM", Duration.ofSeconds(5))).isTrue();
        assertThat(control.stop("SIGINT", Duration.ofMillis(1500))).isFalse();

        assertThat(control.ending()).isEqualTo(RunControl.Ending.stopped("SIGTERM, grace 5 s"));
        assertThat(container.calls).containsExactly("SIGTERM");
    }

    @Test
    void aStopRefusedAfterACancelLeavesNoStopDescription() {
        control.started(container, LONG);

        assertThat(control.cancel()).isTrue();
        assertThat(control.stop("SIGTERM", Duration.ofSeconds(5))).isFalse();

        assertThat(control.ending()).isEqualTo(RunControl.Ending.CANCELLED);
        assertThat(control.ending().stopDescription()).isNull();
        assertThat(container.calls).containsExactly("KILL");
    }

    @Test
    void theFirstClaimWinsAndAnExitAfterItChangesNothing() {
        control.started(container, LONG);

        assertThat(control.cancel()).isTrue();
        assertThat(control.cancel()).as("second cancel").isFalse();
        control.exited();

        assertThat(control.outcome()).isEqualTo(Outcome.CANCELLED);
    }

    @Test
    void anExitClaimsTheRunAndRefusesLaterControls() {
        control.started(container, LONG);
        control.exited();

        assertThat(control.outcome()).isEqualTo(Outcome.EXITED);
        assertThat(control.cancel()).isFalse();
        assertThat(control.stop("SIGTERM", Duration.ofSeconds(1))).isFalse();
        assertThat(container.calls).isEmpty();
    }

    @Test
    void stopNormalisesTheSignalAndDefaultsToSigterm() {
        control.started(container, LONG);

        assertThat(control.stop(null, Duration.ofMillis(250))).isTrue();

        assertThat(control.ending().stopDescription()).isEqualTo("SIGTERM, grace 250 ms");
        assertThat(container.calls).containsExactly("SIGTERM");
    }

    @Test
    void aStopBeforeTheStartSendsItsSignalOnceTheContainerRuns() {
        control.created();
        assertThat(control.stop(" sigusr1 ", LONG)).isTrue();
        assertThat(container.calls).isEmpty();

        control.started(container, LONG);

        assertThat(container.calls).containsExactly("SIGUSR1");
        assertThat(control.ending().stopDescription()).isEqualTo("SIGUSR1, grace 300 s");
    }

    @Test
    void aCancelBeforeTheStartKillsTheContainerOnceItRuns() {
        assertThat(control.cancel()).isTrue();
        assertThat(control.claimable()).isFalse();

        control.started(container, LONG);

        assertThat(container.calls).containsExactly("KILL");
    }

    @Test
    void aStopKillsOnceItsGraceRunsOut() {
        control.started(container, LONG);

        assertThat(control.stop("SIGTERM", Duration.ofMillis(50))).isTrue();

        await().atMost(Duration.ofSeconds(5)).until(() -> container.calls.contains("KILL"));
        assertThat(container.calls).containsExactly("SIGTERM", "KILL");
    }

    @Test
    void aStopWithNoGraceBeforeTheStartSignalsThenKillsOnceTheContainerRuns() {
        control.created();
        assertThat(control.stop("SIGTERM", Duration.ZERO)).isTrue();

        control.started(container, LONG);

        // Whether the grace ran out before the start (the start kills) or after it (the grace kills), both arrive once.
        await().atMost(Duration.ofSeconds(5)).until(() -> container.calls.size() == 2);
        assertThat(container.calls).containsExactly("SIGTERM", "KILL");
    }

    @Test
    void noGraceKillAfterTheRunEnded() {
        control.started(container, LONG);
        assertThat(control.stop("SIGTERM", Duration.ofMillis(50))).isTrue();
        control.exited();
        control.finishing();
        control.ended();

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> container.calls.equals(List.of("SIGTERM")));
    }

    @Test
    void theTimeoutClaimsTheRunAndKillsIt() {
        control.started(container, Duration.ofMillis(20));

        await().atMost(Duration.ofSeconds(5)).until(() -> container.calls.contains("KILL"));
        assertThat(control.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(control.stop("SIGTERM", Duration.ZERO)).isFalse();
    }

    @Test
    void anExitDisarmsTheTimeout() {
        control.started(container, Duration.ofMillis(100));
        control.exited();

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(container.calls::isEmpty);
        assertThat(control.outcome()).isEqualTo(Outcome.EXITED);
    }

    @Test
    void anInvalidStopIsAnInvalidRequestAndClaimsNothing() {
        control.started(container, LONG);

        assertThatThrownBy(() -> control.stop("TERM; rm -rf /", Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(RunnerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        assertThatThrownBy(() -> control.stop("SIGTERM", Duration.ofSeconds(-1)))
                .isInstanceOfSatisfying(RunnerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));

        assertThat(control.claimable()).isTrue();
        assertThat(container.calls).isEmpty();
    }

    @Test
    void pauseAndResumeFreezeAndThawTheContainer() {
        control.started(container, LONG);

        control.pause();
        assertThat(control.isPaused()).isTrue();
        assertThatThrownBy(control::pause).hasMessage("run r1 is already paused");
        control.resume();

        assertThat(control.isPaused()).isFalse();
        assertThatThrownBy(control::resume).hasMessage("run r1 is not paused");
        assertThat(container.calls).containsExactly("pause", "unpause");
    }

    @Test
    void pauseBeforeTheContainerExistsIsAConflict() {
        assertThatThrownBy(control::pause)
                .isInstanceOfSatisfying(RunnerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessage("cannot pause run r1: it has not started yet");
    }

    @Test
    void pauseAfterTheEndIsAConflict() {
        control.started(container, LONG);
        control.exited();

        assertThatThrownBy(control::pause).hasMessage("cannot pause run r1: it has ended");
        assertThatThrownBy(control::resume).hasMessage("cannot resume run r1: it has ended");
    }

    @Test
    void killingAPausedRunThawsIt() {
        control.started(container, LONG);
        control.pause();

        assertThat(control.cancel()).isTrue();

        assertThat(control.isPaused()).isFalse();
        assertThat(container.calls).containsExactly("pause", "KILL", "unpause");
    }

    @Test
    void aKillThatDidNotArriveLeavesAPausedRunFrozen() {
        control.started(container, LONG);
        control.pause();
        container.running = false;

        assertThat(control.cancel()).isTrue();

        assertThat(container.calls).containsExactly("pause", "KILL");
    }

    @Test
    void anExitedContainerIsNotPaused() {
        control.started(container, LONG);
        control.pause();

        control.exited();

        assertThat(control.isPaused()).isFalse();
    }

    @Test
    void describeQuotesWholeSecondsInSecondsAndTheRestInMilliseconds() {
        assertThat(RunControl.describe(Duration.ofSeconds(5))).isEqualTo("5 s");
        assertThat(RunControl.describe(Duration.ofMillis(1500))).isEqualTo("1500 ms");
        assertThat(RunControl.describe(Duration.ZERO)).isEqualTo("0 s");
    }
}
