package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.LogStream;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.artifacts.LocalArtifactStore;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.fakes.FakeExecution;
import dev.lightrun.server.fakes.FakeRunner;
import dev.lightrun.server.http.Json;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.SqliteRunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The run service against a {@link FakeRunner}, with the real SQLite store, artifact store and logs in a temporary
 * folder. Runs end when a test ends them ({@code runner.execution(id).succeed()}), and the service reacts on the
 * test's thread, so every assertion follows a synchronous step: no Docker, no sleeps.
 */
class RunServiceTest {
    @TempDir
    Path dir;
    private final FakeRunner runner = new FakeRunner();
    private SqliteRunStore store;
    private LocalArtifactStore artifacts;
    private CallbackSender sender;
    private CallbackOutbox outbox;
    private RunService service;

    /** A service with {@code maxConcurrent} slots, a queue of {@code maxQueue} and an artifact cap. */
    private RunService service(int maxConcurrent, int maxQueue, long maxArtifactsBytes) {
        store = new SqliteRunStore(dir.resolve("data"));
        artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        sender = new CallbackSender(Duration.ofSeconds(2));
        // No allow list: a callback to anything internal (the tests only use loopback) is refused before connecting.
        outbox = new CallbackOutbox(store, sender, new CallbackGuard(List.of()), 1, Duration.ofMillis(10));
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, Duration.ofMinutes(5), 64 * 1024, false,
                RunPolicy.builder().build());
        RunLogs logs = new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER);
        service = new RunService(runner, store, artifacts, outbox, specs, logs, Json.MAPPER, maxArtifactsBytes,
                maxConcurrent, maxQueue);
        return service;
    }

    private RunService service(int maxConcurrent, int maxQueue) {
        return service(maxConcurrent, maxQueue, Long.MAX_VALUE);
    }

    /** As {@link #service(int, int)}, telling {@code events} of every run's lifecycle. */
    private RunService service(int maxConcurrent, int maxQueue, RunEvents events) {
        service(maxConcurrent, maxQueue);
        service = new RunService(runner, store, artifacts, outbox, new RunSpecFactory(artifacts::folderOf,
                Duration.ofMinutes(5), 64 * 1024, false, RunPolicy.builder().build()),
                new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER), Json.MAPPER, Long.MAX_VALUE,
                maxConcurrent, maxQueue, owner -> Quota.UNLIMITED, events);
        return service;
    }

    @AfterEach
    void closeStores() {
        if (outbox != null) {
            outbox.close();
            sender.close();
            store.close();
        }
    }

    static RunRequest request(String image, boolean detached, String callbackUrl, List<String> extract) {
        Map<String, JsonNode> files = Map.of("main.sh", TextNode.valueOf("echo hi"));
        return new RunRequest(image, files, "sh main.sh", null, null, null, null, null, null, Map.of("GREETING", "hi"),
                extract, detached, callbackUrl, null, null, null, null, null, null, null);
    }

    static RunRequest sync() {
        return request("alpine:3", false, null, null);
    }

    static RunRequest detached() {
        return request("alpine:3", true, null, null);
    }

    private RunState stored(String id) {
        return service.get(id);
    }

    @Test
    void syncRunStartsAtOnceWithTheRequestedSpecAndEndsSucceeded() throws Exception {
        service(2, 10);
        RunService.Submitted submitted = service.submit(sync(), Caller.OPEN);
        String id = submitted.accepted().id();

        assertThat(submitted.accepted().status()).isEqualTo(RunStatus.RUNNING);
        assertThat(runner.startedIds()).containsExactly(id);
        var spec = runner.started().getFirst();
        assertThat(spec.image()).isEqualTo("alpine:3");
        assertThat(spec.entrypoint()).isEqualTo("sh main.sh");
        assertThat(spec.env()).containsEntry("GREETING", "hi");
        assertThat(new String(spec.files().get("main.sh"))).isEqualTo("echo hi");
        assertThat(spec.timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(stored(id).status()).isEqualTo(RunStatus.RUNNING);

        runner.execution(id).succeed("hi\n", Map.of());

        RunState done = submitted.finished().getNow(null);
        assertThat(done).isNotNull();
        assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(done.exitCode()).isZero();
        assertThat(done.logs().stdout()).isEqualTo("hi\n");
        assertThat(stored(id)).isEqualTo(done);
    }

    @Test
    void nonZeroExitEndsFailedWithTheExitCodeAndNonzeroExit() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        runner.execution(id).exit(3);

        RunState done = stored(id);
        assertThat(done.status()).isEqualTo(RunStatus.FAILED);
        assertThat(done.exitCode()).isEqualTo(3);
        assertThat(done.errorCode()).isEqualTo(RunErrorCode.NONZERO_EXIT);
        assertThat(done.error()).isEqualTo("container exited with code 3");
    }

    @Test
    void timeoutIsReportedAsFailedWithTimedOut() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        runner.execution(id).fail(ErrorCode.TIMED_OUT, "run timed out after 5m");

        RunState done = stored(id);
        assertThat(done.status()).isEqualTo(RunStatus.FAILED);
        assertThat(done.timedOut()).isTrue();
        assertThat(done.errorCode()).isEqualTo(RunErrorCode.TIMED_OUT);
    }

    @Test
    void queuedRunsStartInSubmissionOrderAsSlotsFree() {
        service(1, 5);
        String first = service.submit(sync(), Caller.OPEN).accepted().id();
        RunService.Submitted second = service.submit(sync(), Caller.OPEN);
        RunService.Submitted third = service.submit(detached(), Caller.OPEN);

        assertThat(second.accepted().status()).isEqualTo(RunStatus.QUEUED);
        assertThat(third.accepted().status()).isEqualTo(RunStatus.QUEUED);
        assertThat(runner.startedIds()).containsExactly(first);
        assertThat(stored(second.accepted().id()).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(stored(second.accepted().id()).startedAt()).isNull();

        runner.execution(first).succeed();
        assertThat(runner.startedIds()).containsExactly(first, second.accepted().id());
        assertThat(stored(second.accepted().id()).status()).isEqualTo(RunStatus.RUNNING);
        assertThat(stored(second.accepted().id()).startedAt()).isNotNull();
        assertThat(stored(third.accepted().id()).status()).isEqualTo(RunStatus.QUEUED);

        runner.execution(second.accepted().id()).succeed();
        assertThat(runner.startedIds()).containsExactly(first, second.accepted().id(), third.accepted().id());
        assertThat(second.finished().getNow(null).status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void aCancelArrivingWhileAQueuedRunIsBeingStartedIsCarriedOut() {
        service(1, 5);
        String first = service.submit(sync(), Caller.OPEN).accepted().id();
        String second = service.submit(detached(), Caller.OPEN).accepted().id();
        // The slot frees and the second run is being handed to the runner when its cancel comes in: it is in the
        // store as running but has no execution yet. The cancel must not be lost (it was a 404 before).
        runner.onNextStart(spec -> service.cancel(second));

        runner.execution(first).succeed();

        assertThat(runner.startedIds()).containsExactly(first, second);
        assertThat(runner.execution(second).cancelled()).isTrue();
        assertThat(stored(second).status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stored(second).errorCode()).isEqualTo(RunErrorCode.CANCELLED);
    }

    @Test
    void aCancelBetweenAQueuedRunGettingItsSlotAndItsLaunchIsCarriedOut() {
        AtomicReference<RunService> self = new AtomicReference<>();
        List<String> answered = new ArrayList<>();
        // Told between the queued run's start being recorded and its hand-over to the runner: the moment a cancel
        // found it neither queued nor starting (404, and the run went on).
        RunEvents cancelOnStart = new RunEvents() {
            @Override
            public void started(RunState run, Duration queueWait) {
                if (!queueWait.isZero()) {
                    self.get().cancel(run.id());
                    answered.add(run.id());
                }
            }
        };
        self.set(service(1, 5, cancelOnStart));
        String first = service.submit(detached(), Caller.OPEN).accepted().id();
        String second = service.submit(detached(), Caller.OPEN).accepted().id();

        runner.execution(first).succeed();

        assertThat(answered).containsExactly(second);
        assertThat(runner.execution(second).cancelled()).isTrue();
        assertThat(stored(second).status()).isEqualTo(RunStatus.CANCELLED);
    }

    @Test
    void stopOrPauseOfARunBeingHandedToTheRunnerIsAConflictToRetryNotANotFound() {
        service(1, 5);
        String first = service.submit(detached(), Caller.OPEN).accepted().id();
        String second = service.submit(detached(), Caller.OPEN).accepted().id();
        List<ApiException> refusals = new ArrayList<>();
        runner.onNextStart(spec -> {
            for (Runnable call : List.<Runnable>of(() -> service.stop(second, "TERM", Duration.ofSeconds(1)),
                    () -> service.pause(second))) {
                try {
                    call.run();
                } catch (ApiException e) {
                    refusals.add(e);
                }
            }
        });

        runner.execution(first).succeed();

        assertThat(refusals).extracting(ApiException::error).containsExactly(ApiError.CONFLICT, ApiError.CONFLICT);
        assertThat(refusals).allSatisfy(e -> assertThat(e.getMessage()).contains("is starting; retry"));
        service.stop(second, "TERM", Duration.ofSeconds(1));
        assertThat(runner.execution(second).stopSignal()).isEqualTo("TERM");
    }

    @Test
    void queuedRunStartsWithItsOwnRequest() {
        service(1, 5);
        String first = service.submit(sync(), Caller.OPEN).accepted().id();
        String second = service.submit(request("busybox:1", false, null, null), Caller.OPEN).accepted().id();

        runner.execution(first).succeed();

        assertThat(runner.execution(second).spec().image()).isEqualTo("busybox:1");
        assertThat(runner.execution(second).spec().env()).containsEntry("GREETING", "hi");
    }

    @Test
    void submissionBeyondAFullQueueIsRefusedWithQueueFull() {
        service(1, 1);
        service.submit(sync(), Caller.OPEN);
        service.submit(sync(), Caller.OPEN);

        assertThatThrownBy(() -> service.submit(sync(), Caller.OPEN))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.QUEUE_FULL);
                    assertThat(e.error().status()).isEqualTo(429);
                    assertThat(e.getMessage()).isEqualTo("every slot is busy and the queue is full (1 waiting); retry later");
                });
        assertThat(service.page(null, null, 10, null).runs()).hasSize(2);
    }

    @Test
    void cancelWhileQueuedEndsCancelledWithoutStarting() {
        service(1, 5);
        String first = service.submit(sync(), Caller.OPEN).accepted().id();
        RunService.Submitted queued = service.submit(sync(), Caller.OPEN);
        String id = queued.accepted().id();

        service.cancel(id);

        RunState cancelled = stored(id);
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.errorCode()).isEqualTo(RunErrorCode.CANCELLED);
        assertThat(cancelled.error()).isEqualTo("run was cancelled while queued");
        assertThat(cancelled.startedAt()).isNull();
        assertThat(queued.finished().getNow(null)).isEqualTo(cancelled);

        runner.execution(first).succeed();
        assertThat(runner.startedIds()).containsExactly(first);
    }

    @Test
    void cancelOfARunningRunKillsItAndEndsCancelled() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        service.cancel(id);

        assertThat(runner.execution(id).cancelled()).isTrue();
        assertThat(stored(id).status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stored(id).errorCode()).isEqualTo(RunErrorCode.CANCELLED);
    }

    @Test
    void cancelOfAFinishedRunIsNotFound() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();
        runner.execution(id).succeed();

        assertThatThrownBy(() -> service.cancel(id))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("run " + id + " is not running");
                });
    }

    @Test
    void stopPassesSignalAndGraceAndEndsCancelledStopped() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        service.stop(id, "SIGINT", Duration.ofSeconds(7));

        FakeExecution execution = runner.execution(id);
        assertThat(execution.stopSignal()).isEqualTo("SIGINT");
        assertThat(execution.stopGrace()).isEqualTo(Duration.ofSeconds(7));
        assertThat(stored(id).status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stored(id).errorCode()).isEqualTo(RunErrorCode.STOPPED);
    }

    @Test
    void pauseAndResumeReachTheExecutionAndADoublePauseIsConflict() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        service.pause(id);
        assertThat(runner.execution(id).isPaused()).isTrue();
        assertThatThrownBy(() -> service.pause(id))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.CONFLICT);
                    assertThat(e.getMessage()).isEqualTo("run " + id + " is not running or already paused");
                });
        service.resume(id);
        assertThat(runner.execution(id).isPaused()).isFalse();
        assertThatThrownBy(() -> service.resume(id))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ApiError.CONFLICT));
    }

    @Test
    void pauseOfAQueuedRunIsNotFound() {
        service(1, 5);
        service.submit(sync(), Caller.OPEN);
        String queued = service.submit(sync(), Caller.OPEN).accepted().id();

        assertThatThrownBy(() -> service.pause(queued))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.NOT_FOUND);
                    assertThat(e.getMessage()).isEqualTo("run " + queued + " is not running");
                });
    }

    @Test
    void startFailureEndsFailedStartFailedAndFreesTheSlot() {
        service(1, 0);
        runner.failNextStart(new RunnerException(ErrorCode.START_FAILED, "unknown runtime 'runsc'"));

        RunService.Submitted failed = service.submit(sync(), Caller.OPEN);

        RunState state = stored(failed.accepted().id());
        assertThat(state.status()).isEqualTo(RunStatus.FAILED);
        assertThat(state.errorCode()).isEqualTo(RunErrorCode.START_FAILED);
        assertThat(state.error()).isEqualTo("could not start: unknown runtime 'runsc'");
        assertThat(failed.finished().getNow(null)).isEqualTo(state);
        // The only slot is free again: the next run starts instead of being refused.
        RunService.Submitted next = service.submit(sync(), Caller.OPEN);
        assertThat(next.accepted().status()).isEqualTo(RunStatus.RUNNING);
        assertThat(runner.startedIds()).containsExactly(next.accepted().id());
    }

    @Test
    void startFailureOfAQueuedRunPassesTheSlotToTheNextInLine() {
        service(1, 5);
        String first = service.submit(sync(), Caller.OPEN).accepted().id();
        String second = service.submit(sync(), Caller.OPEN).accepted().id();
        String third = service.submit(sync(), Caller.OPEN).accepted().id();
        runner.failNextStart(new IllegalStateException("daemon said no"));

        runner.execution(first).succeed();

        assertThat(stored(second).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(second).errorCode()).isEqualTo(RunErrorCode.START_FAILED);
        assertThat(runner.startedIds()).containsExactly(first, third);
    }

    @Test
    void getOfAnUnknownRunIsNotFound() {
        service(1, 0);
        String id = RunIds.next();

        assertThatThrownBy(() -> service.get(id))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.NOT_FOUND);
                    assertThat(e.error().status()).isEqualTo(404);
                    assertThat(e.getMessage()).isEqualTo("run " + id + " not found");
                });
    }

    @Test
    void deleteOfARunningRunIsConflict() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();

        assertThatThrownBy(() -> service.delete(id))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.CONFLICT);
                    assertThat(e.error().status()).isEqualTo(409);
                    assertThat(e.getMessage()).isEqualTo("run " + id + " is still running; cancel it first");
                });
        assertThat(stored(id).status()).isEqualTo(RunStatus.RUNNING);
    }

    @Test
    void deleteOfAFinishedRunRemovesItsStateAndLog() throws Exception {
        RunLogs logs = new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER);
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();
        runner.execution(id).output(LogStream.STDOUT, "hello\n").succeed();

        service.delete(id);

        assertThatThrownBy(() -> service.get(id)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error()).isEqualTo(ApiError.NOT_FOUND));
        List<String> lines = new ArrayList<>();
        logs.reader(id, Duration.ZERO).forEachLine(false, lines::add);
        assertThat(lines).isEmpty();
    }

    @Test
    void outputIsCapturedInTheRunLog() throws Exception {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();
        runner.execution(id).output(LogStream.STDOUT, "one\ntwo\n").output(LogStream.STDERR, "oops\n").succeed();

        List<String> lines = new ArrayList<>();
        new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER).reader(id, Duration.ZERO)
                .forEachLine(false, lines::add);
        assertThat(lines).hasSize(3);
        assertThat(Json.MAPPER.readTree(lines.get(0)).get("line").asText()).isEqualTo("one");
        assertThat(Json.MAPPER.readTree(lines.get(2)).get("stream").asText()).isEqualTo("stderr");
    }

    @Test
    void recoveryMarksARunWhoseContainerIsGoneLost() {
        service(2, 0);
        String id = RunIds.next();
        Instant started = Instant.now().minusSeconds(30);
        store.create(RunState.running(id, "alpine:3", "admin", true, started),
                new RunPlan(List.of(), Duration.ofMinutes(2), null, null), null);

        service.recover();

        RunState lost = stored(id);
        assertThat(lost.status()).isEqualTo(RunStatus.FAILED);
        assertThat(lost.errorCode()).isEqualTo(RunErrorCode.LOST);
        assertThat(lost.error()).isEqualTo("its container was gone when light-run restarted (removed while the server"
                + " was down)");
        assertThat(runner.reattaches()).singleElement()
                .satisfies(r -> assertThat(r.deadline()).isEqualTo(started.plus(Duration.ofMinutes(2))));
        assertThat(runner.started()).isEmpty();
    }

    @Test
    void recoveryReattachesARunWhoseContainerIsPresentAndFinishesIt() {
        service(1, 5);
        String id = RunIds.next();
        store.create(RunState.running(id, "alpine:3", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofMinutes(2), null, null), null);
        runner.containerPresent(id);

        service.recover();

        assertThat(stored(id).status()).isEqualTo(RunStatus.RUNNING);
        // The re-attached run holds the only slot: a new submission waits behind it.
        assertThat(service.submit(sync(), Caller.OPEN).accepted().status()).isEqualTo(RunStatus.QUEUED);

        runner.execution(id).succeed();

        assertThat(stored(id).status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(runner.started()).hasSize(1);
    }

    @Test
    void recoveryStartsRunsLeftQueuedInTheirStoredOrder() throws Exception {
        service(1, 5);
        String first = RunIds.next();
        String second = RunIds.next();
        for (String id : List.of(first, second)) {
            store.create(RunState.queued(id, "alpine:3", "admin", true, Instant.now()),
                    new RunPlan(List.of(), Duration.ofMinutes(1), null, null), Json.MAPPER.writeValueAsBytes(detached()));
        }

        service.recover();

        assertThat(runner.startedIds()).containsExactly(first);
        assertThat(stored(second).status()).isEqualTo(RunStatus.QUEUED);
        runner.execution(first).succeed();
        assertThat(runner.startedIds()).containsExactly(first, second);
    }

    @Test
    void recoveryEndsAQueuedRunWhoseRequestCannotBeReadLost() {
        service(1, 5);
        String id = RunIds.next();
        store.create(RunState.queued(id, "alpine:3", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofMinutes(1), null, null), "{not json".getBytes());

        service.recover();

        assertThat(stored(id).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(id).errorCode()).isEqualTo(RunErrorCode.LOST);
        assertThat(stored(id).error()).startsWith("its queued request could not be read back after a restart: ");
    }

    @Test
    void evictionNeverTakesTheRunThatJustFinished() {
        service(2, 0, 10);
        String older = service.submit(request("alpine:3", false, null, List.of("/app/out")), Caller.OPEN).accepted().id();
        runner.execution(older).succeed("", Map.of("out/a.bin", 8L));
        assertThat(stored(older).artifacts()).hasSize(1);

        String newer = service.submit(request("alpine:3", false, null, List.of("/app/out")), Caller.OPEN).accepted().id();
        runner.execution(newer).succeed("", Map.of("out/b.bin", 50L));

        // Over the cap of 10 bytes: the older run goes, the one that just finished stays although it alone is over.
        assertThat(store.find(older)).isEmpty();
        assertThat(stored(newer).artifacts()).extracting(RunState.Artifact::path).containsExactly("out/b.bin");
        assertThat(artifacts.totalBytes()).isEqualTo(50);
    }

    @Test
    void evictionSkipsARunStillExecuting() {
        service(2, 0, 10);
        String running = service.submit(sync(), Caller.OPEN).accepted().id();
        String done = service.submit(request("alpine:3", false, null, List.of("/app/out")), Caller.OPEN).accepted().id();
        runner.execution(done).succeed("", Map.of("out/a.bin", 40L));

        assertThat(stored(running).status()).isEqualTo(RunStatus.RUNNING);
        assertThat(stored(done).status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void shutdownCancelsSyncRunsAfterGraceAndLeavesDetachedRunning() {
        service(3, 5);
        RunService.Submitted sync = service.submit(sync(), Caller.OPEN);
        String detached = service.submit(detached(), Caller.OPEN).accepted().id();

        service.shutdown(Duration.ZERO);

        RunState cancelled = sync.finished().getNow(null);
        assertThat(cancelled).isNotNull();
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(runner.execution(sync.accepted().id()).cancelled()).isTrue();
        assertThat(stored(sync.accepted().id()).status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(runner.execution(detached).isDone()).isFalse();
        assertThat(stored(detached).status()).isEqualTo(RunStatus.RUNNING);
    }

    @Test
    void shutdownRefusesNewSubmissionsAsUnavailable() {
        service(1, 5);
        service.shutdown(Duration.ZERO);

        assertThatThrownBy(() -> service.submit(sync(), Caller.OPEN))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.UNAVAILABLE);
                    assertThat(e.error().status()).isEqualTo(503);
                    assertThat(e.getMessage()).isEqualTo("the server is shutting down; try again shortly");
                });
        assertThat(runner.started()).isEmpty();
    }

    @Test
    void shutdownAnswersAWaitingClientOfAQueuedRunWithItsQueuedStateAndKeepsItQueued() {
        service(1, 5);
        service.submit(detached(), Caller.OPEN);
        RunService.Submitted queued = service.submit(sync(), Caller.OPEN);

        service.shutdown(Duration.ZERO);

        assertThat(queued.finished().getNow(null).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(stored(queued.accepted().id()).status()).isEqualTo(RunStatus.QUEUED);
    }

    @Test
    void detachedRunWithACallbackToAnInternalAddressRecordsItRefusedAndGivenUp() {
        service(1, 0);
        String id = service.submit(request("alpine:3", true, "http://127.0.0.1:9/hook", null), Caller.OPEN).accepted().id();

        runner.execution(id).succeed();

        RunState.Callback callback = stored(id).callback();
        assertThat(callback).isNotNull();
        assertThat(callback.attempts()).isEqualTo(1);
        assertThat(callback.lastStatus()).isEqualTo(-1);
        assertThat(callback.gaveUp()).isTrue();
        assertThat(callback.deliveredAt()).isNull();
        assertThat(store.pendingCallbacks()).isEmpty();
    }

    @Test
    void syncRunHasNoCallback() {
        service(1, 0);
        String id = service.submit(sync(), Caller.OPEN).accepted().id();
        runner.execution(id).succeed();

        assertThat(stored(id).callback()).isNull();
        assertThat(store.pendingCallbacks()).isEmpty();
    }

    @Test
    void engineInfoComesFromTheRunner() {
        service(1, 0);
        assertThat(service.engine()).isEqualTo(FakeRunner.ENGINE);
        runner.failInfo(new RunnerException(ErrorCode.DAEMON_UNREACHABLE, "Cannot connect to the Docker daemon"));
        assertThatThrownBy(service::engine).isInstanceOfSatisfying(RunnerException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE));
    }

    @Test
    void imageOutsideTheAllowListIsRefusedBeforeAnythingIsRecorded() {
        store = new SqliteRunStore(dir.resolve("data"));
        artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        sender = new CallbackSender(Duration.ofSeconds(2));
        outbox = new CallbackOutbox(store, sender, new CallbackGuard(List.of()), 1, Duration.ofMillis(10));
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, Duration.ofMinutes(5), 64 * 1024, false,
                RunPolicy.builder().allowedImages(List.of("python:*")).build());
        service = new RunService(runner, store, artifacts, outbox, specs,
                new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER), Json.MAPPER, Long.MAX_VALUE, 1, 1);

        assertThatThrownBy(() -> service.submit(sync(), Caller.OPEN))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error()).isEqualTo(ApiError.IMAGE_NOT_ALLOWED);
                    assertThat(e.getMessage()).isEqualTo(
                            "image alpine:3 is not in the allowed images (LIGHT_RUN_ALLOWED_IMAGES: python:*)");
                });
        assertThat(service.page(null, null, 10, null).runs()).isEmpty();
        assertThat(runner.started()).isEmpty();
    }
}
