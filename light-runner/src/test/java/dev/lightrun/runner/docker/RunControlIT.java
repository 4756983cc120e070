package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Ending and freezing runs from outside: timeout, cancel, stop, pause/resume, and the kernel's own kills. */
class RunControlIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    private static final Duration SEEN = Duration.ofSeconds(30);

    @Test
    void timeoutKillsSleepingContainer() throws Exception {
        long started = System.nanoTime();
        RunResult result = docker.runner().run(docker.busybox("sleep 60").timeout(Duration.ofSeconds(1)).build());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(Duration.ofSeconds(5));
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(result.timedOut()).isTrue();
        assertThat(result.error().code()).isEqualTo(ErrorCode.TIMED_OUT);
        assertThat(result.exitCode()).isEqualTo(137);
        assertThat(result.duration()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
    }

    @Test
    void cancelKillsRunningContainerOnlyOnce() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox("echo started; sleep 60").logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("started"));

        long cancelled = System.nanoTime();
        assertThat(execution.cancel()).isTrue();
        assertThat(execution.cancel()).isFalse();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(Duration.ofNanos(System.nanoTime() - cancelled)).isLessThan(Duration.ofSeconds(5));
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(result.timedOut()).isFalse();
        assertThat(result.stdout()).isEqualTo("started\n");
        assertThat(execution.cancel()).as("cancel after the end").isFalse();
        assertThat(execution.stop("SIGTERM", Duration.ofSeconds(1))).as("stop after the end").isFalse();
    }

    @Test
    void aRefusedStartEndsTheRunCancelledWithItsWorkloadNeverRunAndNoContainerLeft() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        AtomicReference<List<String>> containersWhenAsked = new AtomicReference<>();
        RunSpec spec = docker.busybox("echo should-not-run").build();

        Execution execution = docker.runner().start(spec, () -> {
            asked.incrementAndGet();
            containersWhenAsked.set(docker.containersOf(Set.of(spec.runId())));
            return false;
        });
        RunResult result = execution.await(Duration.ofSeconds(30)).orElseThrow();

        assertThat(asked).as("asked once").hasValue(1);
        assertThat(containersWhenAsked.get()).as("asked with its container created, at the last moment").hasSize(1);
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(result.stdout()).isEmpty();
        assertThat(execution.started()).as("never started").isNotDone();
        assertThat(docker.containersOf(Set.of(spec.runId()))).isEmpty();
    }

    @Test
    void anAllowedStartIsAskedOnceAndRuns() throws Exception {
        AtomicInteger asked = new AtomicInteger();

        RunResult result = docker.runner().start(docker.busybox("echo ran").build(), () -> asked.incrementAndGet() > 0)
                .await(Duration.ofSeconds(30)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("ran\n");
        assertThat(asked).hasValue(1);
    }

    @Test
    void cancelBeforeTheContainerRunsEndsTheRunCancelled() throws Exception {
        Execution execution = docker.runner().start(docker.busybox("echo should-not-run").build());

        assertThat(execution.cancel()).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void cancelRacingNormalExitGivesExactlyOneConsistentStatus() throws Exception {
        for (int i = 0; i < 6; i++) {
            CapturingSink sink = new CapturingSink();
            Execution execution = docker.runner().start(docker.busybox("echo hi").logSink(sink).build());
            if (i % 2 == 1) {
                // Cancel just as the container exits: its only line has been printed.
                await().atMost(SEEN).until(() -> sink.stdout().contains("hi") || execution.result().isDone());
            }
            boolean cancelled = execution.cancel();
            RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

            if (cancelled) {
                assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
                assertThat(result.error().code()).isEqualTo(ErrorCode.CANCELLED);
            } else {
                assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
                assertThat(result.error()).isNull();
                assertThat(result.stdout()).isEqualTo("hi\n");
            }
            assertThat(execution.cancel()).isFalse();
            assertThat(execution.await()).isSameAs(result);
        }
    }

    @Test
    void stopWithGraceLetsTheTrapRunAndEndsWellBeforeTheGrace() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox(
                        "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
                .logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));

        long stopped = System.nanoTime();
        assertThat(execution.stop("SIGTERM", Duration.ofSeconds(5))).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(Duration.ofSeconds(3));
        assertThat(result.stdout()).isEqualTo("ready\ngot-term\n");
        assertThat(sink.stdout()).contains("got-term");
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.STOPPED);
        assertThat(result.error().message()).contains("SIGTERM");
        assertThat(result.exitCode()).isZero();
        assertThat(execution.stop("SIGTERM", Duration.ofSeconds(1))).as("second stop").isFalse();
    }

    @Test
    void stopRightAsTheWorkloadStartsStillDeliversTheSignal() throws Exception {
        // Stop from inside the sink, on the first output: the container is running, the SDK may still be finishing
        // its own start bookkeeping. The signal must still reach the workload, not become an immediate kill.
        for (int i = 0; i < 5; i++) {
            AtomicReference<Execution> self = new AtomicReference<>();
            CountDownLatch stopped = new CountDownLatch(1);
            LogSink stopOnFirstOutput = (stream, chunk) -> {
                Execution execution = self.get();
                if (execution != null && stopped.getCount() > 0) {
                    execution.stop("SIGTERM", Duration.ofSeconds(5));
                    stopped.countDown();
                }
            };
            Execution execution = docker.runner().start(docker.busybox(
                            "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
                    .logSink(stopOnFirstOutput).build());
            self.set(execution);
            await().atMost(SEEN).until(() -> stopped.getCount() == 0 || execution.result().isDone());

            RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
            assertThat(result.error().code()).isEqualTo(ErrorCode.STOPPED);
            assertThat(result.stdout()).as(describe(result)).isEqualTo("ready\ngot-term\n");
            assertThat(result.exitCode()).isZero();
        }
    }

    @Test
    void pauseRightAsTheWorkloadStartsPausesIt() throws Exception {
        // Pause from inside the sink, on the first output: the container runs, whatever the SDK's own bookkeeping.
        for (int i = 0; i < 5; i++) {
            AtomicReference<Execution> self = new AtomicReference<>();
            AtomicReference<Throwable> pauseFailure = new AtomicReference<>();
            CountDownLatch paused = new CountDownLatch(1);
            LogSink pauseOnFirstOutput = (stream, chunk) -> {
                Execution execution = self.get();
                if (execution != null && paused.getCount() > 0) {
                    try {
                        execution.pause();
                    } catch (RuntimeException e) {
                        pauseFailure.set(e);
                    }
                    paused.countDown();
                }
            };
            Execution execution = docker.runner().start(docker.busybox("echo ready; sleep 60")
                    .logSink(pauseOnFirstOutput).build());
            self.set(execution);
            await().atMost(SEEN).until(() -> paused.getCount() == 0 || execution.result().isDone());

            assertThat(pauseFailure.get()).as("pause on the first output").isNull();
            assertThat(execution.isPaused()).isTrue();
            execution.resume();
            assertThat(execution.cancel()).isTrue();
            assertThat(execution.await(Duration.ofSeconds(10)).orElseThrow().status()).isEqualTo(RunStatus.CANCELLED);
        }
    }

    @Test
    void stopEscalatesToKillWhenTheSignalIsIgnored() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox(
                        "trap '' TERM; echo ready; while true; do sleep 0.1; done")
                .logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));

        long stopped = System.nanoTime();
        assertThat(execution.stop("SIGTERM", Duration.ofSeconds(1))).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();
        Duration took = Duration.ofNanos(System.nanoTime() - stopped);

        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.STOPPED);
        assertThat(result.exitCode()).isEqualTo(137);
    }

    @Test
    void pauseFreezesOutputAndResumeContinuesIt() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox(
                        "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done")
                .logSink(sink).build());
        await().atMost(SEEN).until(() -> lines(sink).size() >= 3);

        execution.pause();
        assertThat(execution.isPaused()).isTrue();
        // No new output for a whole second (a chunk already in flight when the freeze hit may still land first).
        AtomicInteger previous = new AtomicInteger(-1);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    int now = sink.stdout().length();
                    return previous.getAndSet(now) == now;
                });
        int linesWhilePaused = lines(sink).size();

        execution.resume();
        assertThat(execution.isPaused()).isFalse();
        await().atMost(SEEN).until(() -> lines(sink).size() >= linesWhilePaused + 3);
        assertThat(execution.cancel()).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        // The counter went on where it stopped: the output is 0, 1, 2, ... without a gap.
        List<String> counted = lines(sink);
        assertThat(counted).isEqualTo(IntStream.range(0, counted.size()).mapToObj(String::valueOf).toList());
    }

    @Test
    void pauseOfPausedRunAndResumeOfRunningRunAreConflicts() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox("echo ready; sleep 60").logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));

        assertThatThrownBy(execution::resume).isInstanceOfSatisfying(RunnerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        execution.pause();
        assertThatThrownBy(execution::pause).isInstanceOfSatisfying(RunnerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(execution.isPaused()).isTrue();

        // Cancelling a paused run thaws it so it can die.
        assertThat(execution.cancel()).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(execution.isPaused()).as("an ended run is not paused").isFalse();
        assertThatThrownBy(execution::pause).isInstanceOfSatisfying(RunnerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
    }

    @Test
    void timeoutKillsAPausedRun() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox("echo ready; sleep 60")
                .timeout(Duration.ofSeconds(2)).logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));
        execution.pause();

        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(result.error().code()).isEqualTo(ErrorCode.TIMED_OUT);
        assertThat(execution.isPaused()).as("an ended run is not paused").isFalse();
    }

    @Test
    void stopOfAPausedRunDeliversTheSignal() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox(
                        "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
                .logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));
        execution.pause();

        assertThat(execution.stop("SIGTERM", Duration.ofSeconds(5))).isTrue();
        RunResult result = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.STOPPED);
        assertThat(result.stdout()).isEqualTo("ready\ngot-term\n");
        assertThat(execution.isPaused()).as("an ended run is not paused").isFalse();
    }

    @Test
    void memoryHogIsOomKilled() throws Exception {
        RunResult result = docker.runner().run(docker.pynode(
                        "python3 -c \"x = b'\\x01' * (200 * 1024 * 1024); print(len(x))\"")
                .limits(Limits.DEFAULTS.withMemoryBytes(64 * Limits.MIB)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.oomKilled()).isTrue();
        assertThat(result.exitCode()).isEqualTo(137);
        assertThat(result.error().code()).isEqualTo(ErrorCode.OOM_KILLED);
        assertThat(result.error().message()).contains("64 MiB");
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void forkBombEndsWithinItsTimeoutAndTheDaemonStaysHealthy() throws Exception {
        // busybox sh refuses ':' as a function name, so the classic bomb is spelled with a legal one; PID 1 then
        // stays alive (sleep), or its exit would end the container, and the bomb with it, at once.
        long started = System.nanoTime();
        RunResult bomb = docker.runner().run(docker.busybox("bomb(){ bomb|bomb& };bomb; sleep 60")
                .timeout(Duration.ofSeconds(5)).build());
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(Duration.ofSeconds(8));
        assertThat(bomb.status()).as(describe(bomb)).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(bomb.error().code()).isEqualTo(ErrorCode.TIMED_OUT);
        assertThat(bomb.stderr()).as("the pids limit stopped the bomb's forks").contains("can't fork");

        RunResult after = docker.runner().run(docker.busybox("echo still-fine").build());
        assertThat(after.status()).as(describe(after)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(after.stdout()).isEqualTo("still-fine\n");
        assertThat(docker.runner().info().apiVersion()).isNotBlank();
    }

    @Test
    void secondStartWithTheRunIdOfALiveRunIsAConflict() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution first = docker.runner().start(docker.busybox("echo ready; sleep 60").logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));

        assertThatThrownBy(() -> docker.runner().start(RunSpec.builder(DockerTestSupport.BUSYBOX)
                .runId(first.runId()).entrypoint("true").build()))
                .isInstanceOfSatisfying(RunnerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(docker.runner().execution(first.runId())).containsSame(first);

        assertThat(first.cancel()).isTrue();
        assertThat(first.await(Duration.ofSeconds(10)).orElseThrow().status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(docker.runner().execution(first.runId())).isEmpty();
    }

    @Test
    void stopWithAnInvalidSignalIsAnInvalidRequestAndLeavesTheRunGoing() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = docker.runner().start(docker.busybox("echo ready; sleep 60").logSink(sink).build());
        await().atMost(SEEN).until(() -> sink.stdout().contains("ready"));

        assertThatThrownBy(() -> execution.stop("TERM; rm -rf /", Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(RunnerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        assertThatThrownBy(() -> execution.stop("SIGTERM", Duration.ofSeconds(-1)))
                .isInstanceOfSatisfying(RunnerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        assertThat(execution.result()).isNotDone();

        assertThat(execution.cancel()).isTrue();
        assertThat(execution.await(Duration.ofSeconds(10)).orElseThrow().status()).isEqualTo(RunStatus.CANCELLED);
    }

    private static List<String> lines(CapturingSink sink) {
        String out = sink.stdout();
        int end = out.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(out.substring(0, end).split("\n"));
    }
}
