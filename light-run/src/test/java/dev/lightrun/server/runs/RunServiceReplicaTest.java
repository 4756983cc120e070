package dev.lightrun.server.runs;

import dev.lightrun.server.artifacts.LocalArtifactStore;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.fakes.FakeCluster;
import dev.lightrun.server.fakes.FakeRunner;
import dev.lightrun.server.http.Json;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster;
import dev.lightrun.server.store.Cluster.Command.Action;
import dev.lightrun.server.store.Cluster.CommandOutcome;
import dev.lightrun.server.store.SqliteRunStore;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.lightrun.server.runs.RunServiceTest.detached;
import static dev.lightrun.server.runs.RunServiceTest.request;
import static dev.lightrun.server.runs.RunServiceTest.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The run service as one replica of several ({@link RunService#joinCluster}), on a {@link FakeCluster} (the shared
 * queue, heartbeats and commands in memory; the other replicas played by the test) and a {@link FakeRunner}, rows in
 * SQLite in a temporary folder. A run goes through the shared queue; a run waited here but executed elsewhere ends
 * from the store on a signal; lifecycle calls for another replica's run travel as commands and come back with its
 * answer; commands for this replica are carried out; a silent replica can be forgotten. The claimer and the command
 * handler are threads: every wait is on a condition.
 */
class RunServiceReplicaTest {
    private static final String SELF = "replica-a";
    private static final String OTHER = "replica-b";

    @TempDir
    Path dir;
    private final FakeRunner runner = new FakeRunner();
    private SqliteRunStore rows;
    private FakeCluster cluster;
    private CallbackSender sender;
    private CallbackOutbox outbox;
    private RunService service;

    /** A replica with {@code slots} slots and a shared queue of 10, joined and recovered (its claimer running). */
    private RunService replica(int slots) {
        rows = new SqliteRunStore(dir.resolve("data"));
        cluster = new FakeCluster(SELF, rows);
        LocalArtifactStore artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        sender = new CallbackSender(Duration.ofSeconds(2));
        // No allow list: a callback to anything internal (the tests only use loopback) is refused before connecting.
        outbox = new CallbackOutbox(cluster.store(), sender, new CallbackGuard(List.of()), 1, Duration.ofMillis(10));
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, Duration.ofMinutes(5), 64 * 1024, false,
                RunPolicy.builder().build());
        service = new RunService(runner, cluster.store(), artifacts, outbox, specs,
                new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER), Json.MAPPER, Long.MAX_VALUE, slots, 10);
        // A heartbeat an hour apart: the one written when it joins is the only one.
        service.joinCluster(cluster, SELF, "instance-a", "host-a", () -> "http://a.example:3000", Duration.ofHours(1),
                Duration.ofHours(3), slots, 10);
        service.recover();
        return service;
    }

    @AfterEach
    void leave() {
        if (service != null) {
            service.shutdown(Duration.ZERO);
            cluster.close();
            outbox.close();
            sender.close();
            rows.close();
            assertThat(cluster.listenerFailures()).as("signal handlers that threw").isEmpty();
        }
    }

    /** Submits a sync run and waits until this replica claimed and started it. */
    private String startedHere() {
        String id = service.submit(sync(), Caller.OPEN).accepted().id();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.calls().contains("launched " + id));
        return id;
    }

    /** A detached run that replica-b claimed (and launched unless told otherwise). */
    private Cluster.Claimed claimedByTheOther(RunService.Submitted submitted, boolean launched) {
        Cluster.Claimed claimed = cluster.claimFor(OTHER).orElseThrow();
        assertThat(claimed.running().id()).isEqualTo(submitted.accepted().id());
        if (launched) {
            cluster.launched(claimed.running().id());
        }
        return claimed;
    }

    private static void assertRefused(ThrowingCallable call, ApiError error, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void joiningWritesTheFirstHeartbeatAndListens() {
        replica(2);

        assertThat(cluster.heartbeats()).singleElement().satisfies(me -> {
            assertThat(me.name()).isEqualTo(SELF);
            assertThat(me.instance()).isEqualTo("instance-a");
            assertThat(me.host()).isEqualTo("host-a");
            assertThat(me.url()).isEqualTo("http://a.example:3000");
            assertThat(me.slots()).isEqualTo(2);
        });
        assertThat(cluster.calls()).contains("listen");
        assertThat(service.replicas().self()).contains(SELF);
        assertThat(service.replicas().list()).extracting(Cluster.Replica::name).containsExactly(SELF);
    }

    @Test
    void aClaimGivenBackWhileThisReplicaWasStartingItIsStoppedHereAndLeftToTheReplicaThatClaimedItAgain() {
        replica(1);
        // While this replica hands the run to the runner (stalled, as far as the others can tell), its claim goes back
        // to the queue and replica-b claims it.
        runner.onNextStart(spec -> {
            assertThat(cluster.requeueIfUnlaunched(spec.runId())).isTrue();
            assertThat(cluster.claimFor(OTHER)).isPresent();
        });
        String id = service.submit(detached(), Caller.OPEN).accepted().id();

        await().atMost(Duration.ofSeconds(10)).until(() -> runner.startedIds().contains(id)
                && runner.execution(id).cancelled());
        await().atMost(Duration.ofSeconds(10)).until(() -> service.executing() == 0);
        assertThat(rows.find(id)).map(RunState::status).as("the row is replica-b's, untouched here")
                .contains(RunStatus.RUNNING);
        assertThat(cluster.store().find(id)).map(RunState::replica).contains(OTHER);
        assertThat(cluster.signals()).doesNotContain(Cluster.Signal.finished(id));
    }

    @Test
    void aSubmittedRunIsQueuedClaimedAndStartedHereAndItsFinalStateCompletesTheSyncCall() {
        replica(1);
        RunService.Submitted submitted = service.submit(sync(), Caller.OPEN);
        String id = submitted.accepted().id();
        assertThat(submitted.accepted().status()).isEqualTo(RunStatus.QUEUED);

        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.calls().contains("launched " + id));

        assertThat(cluster.calls()).containsSubsequence("enqueue " + id + " maxQueue=10 ownerMaxQueued=null",
                "claim " + id, "launched " + id);
        assertThat(runner.startedIds()).containsExactly(id);
        assertThat(runner.started().getFirst().env()).as("the request came back from the queue")
                .containsEntry("GREETING", "hi");
        RunState running = service.get(id);
        assertThat(running.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(running.replica()).isEqualTo(SELF);
        assertThat(submitted.finished()).isNotDone();

        runner.execution(id).succeed("hi\n", Map.of());

        RunState done = submitted.finished().getNow(null);
        assertThat(done).isNotNull();
        assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(done.logs().stdout()).isEqualTo("hi\n");
        assertThat(done.replica()).isEqualTo(SELF);
        assertThat(service.get(id)).isEqualTo(done);
        assertThat(cluster.signals()).as("the others learn it ended").contains(Cluster.Signal.finished(id));
    }

    @Test
    void aRunWaitedHereAndFinishedElsewhereEndsFromTheStoreOnItsSignal() {
        replica(1);
        String local = startedHere();
        RunService.Submitted submitted = service.submit(sync(), Caller.OPEN);
        String id = submitted.accepted().id();
        Cluster.Claimed claimed = claimedByTheOther(submitted, true);
        // replica-b stores the final state, then signals it.
        RunState done = claimed.running().endedWithoutContainer(RunStatus.FAILED, "container exited with code 3",
                RunErrorCode.NONZERO_EXIT);
        rows.finish(done, null);
        cluster.signal(Cluster.Signal.finished("00000000-0000-7000-8000-000000000999"));
        assertThat(submitted.finished()).as("another run's signal").isNotDone();

        cluster.signal(Cluster.Signal.finished(id));

        RunState ended = submitted.finished().getNow(null);
        assertThat(ended).isNotNull();
        assertThat(ended.status()).isEqualTo(RunStatus.FAILED);
        assertThat(ended.errorCode()).isEqualTo(RunErrorCode.NONZERO_EXIT);
        assertThat(ended.replica()).isEqualTo(OTHER);
        assertThat(runner.startedIds()).containsExactly(local);
    }

    @Test
    void cancellingAQueuedRunWithdrawsItAndEndsItCancelled() {
        replica(1);
        startedHere();
        RunService.Submitted submitted = service.submit(sync(), Caller.OPEN);
        String id = submitted.accepted().id();
        assertThat(cluster.queueLength()).as("the only slot is taken").isEqualTo(1);

        service.cancel(id);

        RunState cancelled = submitted.finished().getNow(null);
        assertThat(cancelled).isNotNull();
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.errorCode()).isEqualTo(RunErrorCode.CANCELLED);
        assertThat(cancelled.startedAt()).isNull();
        assertThat(cancelled.replica()).isEqualTo(SELF);
        assertThat(service.get(id).status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cluster.queueLength()).isZero();
        assertThat(cluster.claimFor(OTHER)).as("no replica can claim it any more").isEmpty();
        assertThat(cluster.calls()).contains("withdraw " + id).noneMatch(call -> call.startsWith("sendCommand"));
        assertThat(cluster.signals()).contains(Cluster.Signal.finished(id));
        assertRefused(() -> service.cancel(id), ApiError.NOT_FOUND, "is not running");
    }

    @Test
    void lifecycleCallsForAnotherReplicasRunAreCommandsThatComeBackWithItsAnswer() {
        replica(1);
        startedHere();
        RunService.Submitted submitted = service.submit(detached(), Caller.OPEN);
        String id = submitted.accepted().id();
        claimedByTheOther(submitted, true);
        cluster.replicaRow(OTHER, true);
        cluster.answerCommands(command -> switch (command.action()) {
            case STOP, CANCEL -> new CommandOutcome(null, null, null);
            case PAUSE -> new CommandOutcome(409, "CONFLICT", "run " + command.runId() + " is already paused");
            case RESUME -> new CommandOutcome(404, "NOT_FOUND", "run " + command.runId() + " is not running");
        });

        service.stop(id, "SIGINT", Duration.ofMillis(2500));
        service.cancel(id);
        assertRefused(() -> service.pause(id), ApiError.CONFLICT, "run " + id + " is already paused");
        assertRefused(() -> service.resume(id), ApiError.NOT_FOUND, "run " + id + " is not running");

        assertThat(cluster.sent()).extracting(FakeCluster.Sent::replica).containsOnly(OTHER);
        assertThat(cluster.sent()).extracting(sent -> sent.command().runId()).containsOnly(id);
        assertThat(cluster.sent()).extracting(sent -> sent.command().action(), sent -> sent.command().signal(),
                sent -> sent.command().graceMs()).containsExactly(tuple(Action.STOP, "SIGINT", 2500L),
                tuple(Action.CANCEL, null, null), tuple(Action.PAUSE, null, null), tuple(Action.RESUME, null, null));
        assertThat(runner.startedIds()).doesNotContain(id);
        assertThat(service.replicas().executingElsewhere(service.get(id))).as("its live log is read there")
                .contains("http://" + OTHER + ":3000");
    }

    @Test
    void aCallForTheRunOfASilentReplicaIsUnavailableAndSendsNothing() {
        replica(1);
        startedHere();
        RunService.Submitted submitted = service.submit(detached(), Caller.OPEN);
        String id = submitted.accepted().id();
        claimedByTheOther(submitted, true);
        cluster.replicaRow(OTHER, false);

        assertRefused(() -> service.cancel(id), ApiError.UNAVAILABLE, "light-run replicas forget");
        assertRefused(() -> service.pause(id), ApiError.UNAVAILABLE, "replica '" + OTHER + "'");

        assertThat(cluster.sent()).isEmpty();
    }

    @Test
    void commandsForThisReplicaAreCarriedOutInOrderAndAnswered() {
        replica(1);
        String id = startedHere();

        // As replica-b would, on calls it took for this replica's run.
        long pause = cluster.sendCommand(SELF, id, Action.PAUSE, null, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.outcome(pause).isPresent());
        assertThat(cluster.outcome(pause)).contains(new CommandOutcome(null, null, null));
        assertThat(runner.execution(id).isPaused()).isTrue();

        long again = cluster.sendCommand(SELF, id, Action.PAUSE, null, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.outcome(again).isPresent());
        assertThat(cluster.outcome(again).orElseThrow()).satisfies(refused -> {
            assertThat(refused.errorStatus()).isEqualTo(409);
            assertThat(refused.errorCode()).isEqualTo("CONFLICT");
            assertThat(refused.errorMessage()).contains("already paused");
        });

        long stop = cluster.sendCommand(SELF, id, Action.STOP, "SIGINT", 1500L);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.outcome(stop).isPresent());
        assertThat(cluster.outcome(stop)).contains(new CommandOutcome(null, null, null));
        assertThat(runner.execution(id).stopSignal()).isEqualTo("SIGINT");
        assertThat(runner.execution(id).stopGrace()).isEqualTo(Duration.ofMillis(1500));
        assertThat(service.get(id).status()).isEqualTo(RunStatus.CANCELLED);

        long late = cluster.sendCommand(SELF, id, Action.CANCEL, null, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.outcome(late).isPresent());
        assertThat(cluster.outcome(late).orElseThrow().errorCode()).isEqualTo("NOT_FOUND");
        assertThat(cluster.pendingCommands()).isEmpty();
    }

    @Test
    void forgettingAReplicaIsRefusedUnlessItIsKnownSilentAndAnotherOne() {
        replica(1);
        cluster.replicaRow(OTHER, true);

        assertRefused(() -> service.replicas().forget("replica-z"), ApiError.NOT_FOUND, "'replica-z' is not known");
        assertRefused(() -> service.replicas().forget(SELF), ApiError.CONFLICT, "is this one");
        assertRefused(() -> service.replicas().forget(OTHER), ApiError.CONFLICT, "is alive");
        assertThat(cluster.calls()).noneMatch(call -> call.startsWith("adoptRunsOf") || call.startsWith("remove"));
    }

    @Test
    void forgettingASilentReplicaEndsItsRunsRequeuesItsClaimsAndSendsItsCallbacksFromHere() {
        replica(1);
        startedHere();
        RunService.Submitted running = service.submit(detached(), Caller.OPEN);
        claimedByTheOther(running, true);
        RunService.Submitted neverLaunched = service.submit(detached(), Caller.OPEN);
        claimedByTheOther(neverLaunched, false);
        RunService.Submitted withCallback = service.submit(request("alpine:3", true, "http://127.0.0.1:9/hook", null),
                Caller.OPEN);
        Cluster.Claimed called = claimedByTheOther(withCallback, true);
        // It ended on replica-b, which went silent before its callback was delivered.
        rows.finish(called.running().endedWithoutContainer(RunStatus.FAILED, "exited", RunErrorCode.NONZERO_EXIT),
                "{}".getBytes(StandardCharsets.UTF_8));
        cluster.replicaRow(OTHER, false);

        int ended = service.replicas().forget(OTHER);

        assertThat(ended).isEqualTo(1);
        RunState lost = service.get(running.accepted().id());
        assertThat(lost.status()).isEqualTo(RunStatus.FAILED);
        assertThat(lost.errorCode()).isEqualTo(RunErrorCode.REPLICA_LOST);
        assertThat(lost.error()).contains("'" + OTHER + "'");
        assertThat(lost.replica()).isEqualTo(SELF);
        RunState requeued = service.get(neverLaunched.accepted().id());
        assertThat(requeued.status()).as("back in the queue (this replica's one slot is taken)")
                .isEqualTo(RunStatus.QUEUED);
        assertThat(requeued.replica()).isNull();
        assertThat(service.get(withCallback.accepted().id()).callback()).as("sent from here (and refused: internal)")
                .satisfies(callback -> {
                    assertThat(callback.attempts()).isEqualTo(1);
                    assertThat(callback.gaveUp()).isTrue();
                });
        assertThat(cluster.calls()).containsSubsequence("adoptRunsOf " + OTHER, "remove " + OTHER);
        assertThat(service.replicas().list()).extracting(Cluster.Replica::name).containsExactly(SELF);
        assertThat(cluster.signals()).contains(Cluster.Signal.finished(running.accepted().id()));
    }
}
