package dev.lightrun.server.runs;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.store.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * This process as one replica of several sharing a database: it writes its heartbeat, puts back in the queue the
 * claims of replicas that went silent, answers the other replicas' signals (a run queued, a run finished, a command
 * for one of its runs), and carries a lifecycle call for a run another replica executes there as a command row,
 * waiting for that replica's answer.
 */
final class ReplicaMember implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaMember.class);
    /** How long a lifecycle call waits for the replica executing the run to act. */
    static final Duration COMMAND_WAIT = Duration.ofSeconds(15);
    private static final Duration COMMAND_POLL = Duration.ofMillis(250);

    /**
     * @param name      this replica's name
     * @param instance  its data folder's instance id (a restart is the same replica; another folder is not)
     * @param host      the host it runs on, as shown by {@code GET /replicas}
     * @param url       where the other replicas reach its API (null: nowhere)
     * @param heartbeat how often it writes its heartbeat row
     * @param silence   how long without a heartbeat before a replica counts as gone
     */
    record Settings(String name, String instance, String host, Supplier<String> url, Duration heartbeat,
                    Duration silence) {
    }

    private final Cluster cluster;
    private final Settings settings;
    private final SharedQueue queue;
    private final RunService service;
    private final ReplicaRuns runs;
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("light-run-heartbeat").factory());
    private final ExecutorService commands = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("light-run-commands").factory());
    private final ConcurrentHashMap<Long, CompletableFuture<Void>> awaiting = new ConcurrentHashMap<>();
    private final Instant startedAt = Instant.now();

    ReplicaMember(Cluster cluster, Settings settings, SharedQueue queue, RunService service, ReplicaRuns runs) {
        this.runs = runs;
        this.cluster = cluster;
        this.settings = settings;
        this.queue = queue;
        this.service = service;
    }

    Settings settings() {
        return settings;
    }

    /** Writes the first heartbeat, listens to the other replicas, and keeps beating. */
    void start() {
        beat();
        cluster.listen(this::onSignal);
        long every = settings.heartbeat().toMillis();
        ticks.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        // Commands sent while this replica was down.
        runCommands();
    }

    private void beat() {
        cluster.heartbeat(new Cluster.Member(settings.name(), settings.instance(), settings.host(), settings.url().get(),
                queue.slots(), startedAt));
    }

    private void tick() {
        try {
            beat();
            cluster.releaseSilentClaims(settings.silence());
            // What a lost signal would have said.
            runs.settleFinishedElsewhere();
            runCommands();
        } catch (RuntimeException e) {
            log.warn("replica - heartbeat failed: {}", e.getMessage());
        }
    }

    private void onSignal(String payload) {
        if (payload.equals(Cluster.Signal.QUEUED)) {
            queue.wake();
            return;
        }
        String finished = Cluster.Signal.finishedRun(payload);
        if (finished != null) {
            runs.finishedElsewhere(finished);
            return;
        }
        if (settings.name().equals(Cluster.Signal.commandFor(payload))) {
            runCommands();
            return;
        }
        long done = Cluster.Signal.doneCommand(payload);
        if (done >= 0) {
            CompletableFuture<Void> waiting = awaiting.get(done);
            if (waiting != null) {
                waiting.complete(null);
            }
            return;
        }
        if (payload.equals(Cluster.Signal.RECONNECTED)) {
            queue.wake();
            runs.settleFinishedElsewhere();
            runCommands();
            awaiting.values().forEach(waiting -> waiting.complete(null));
        }
    }

    /** Carries out the commands other replicas sent for this replica's runs, one at a time, in order. */
    private void runCommands() {
        commands.execute(() -> {
            for (Cluster.Command command : cluster.pendingCommands()) {
                act(command);
            }
        });
    }

    private void act(Cluster.Command command) {
        Integer status = null;
        String code = null;
        String message = null;
        try {
            switch (command.action()) {
                case CANCEL -> service.local().cancel(command.runId());
                case STOP -> service.local().stop(command.runId(), command.signal(),
                        Duration.ofMillis(command.graceMs() == null ? 0 : command.graceMs()));
                case PAUSE -> service.local().pause(command.runId());
                case RESUME -> service.local().resume(command.runId());
            }
            log.info("run {} - {} asked by another replica", command.runId(), command.action().name().toLowerCase());
        } catch (ApiException e) {
            status = e.error().status();
            code = e.error().name();
            message = e.getMessage();
        } catch (RuntimeException e) {
            log.error("run {} - {} asked by another replica failed", command.runId(), command.action(), e);
            status = ApiError.INTERNAL_ERROR.status();
            code = ApiError.INTERNAL_ERROR.name();
            message = "the replica executing the run failed to act: " + e.getMessage();
        }
        cluster.commandDone(command.id(), status, code, message);
    }

    /**
     * Asks {@code replica} to act on its run {@code runId} and waits for it; its refusal comes back as the same
     * {@link ApiException}. 503 when that replica is silent or does not act within {@link #COMMAND_WAIT}.
     */
    void forward(String replica, String runId, Cluster.Command.Action action, String signal, Duration grace) {
        Optional<Cluster.Replica> target = cluster.replicas(settings.silence()).stream()
                .filter(r -> r.name().equals(replica)).findFirst();
        if (target.isEmpty() || !target.get().alive()) {
            throw new ApiException(ApiError.UNAVAILABLE, "run " + runId + " is executed by replica '" + replica
                    + "', which is not answering; retry when it is back, or forget it (light-run replicas forget)");
        }
        long id = cluster.sendCommand(replica, runId, action, signal, grace == null ? null : grace.toMillis());
        long deadline = System.nanoTime() + COMMAND_WAIT.toNanos();
        try {
            while (true) {
                Optional<Cluster.CommandOutcome> outcome = cluster.outcome(id);
                if (outcome.isPresent()) {
                    Cluster.CommandOutcome done = outcome.get();
                    if (done.errorStatus() != null) {
                        throw new ApiException(errorOf(done.errorCode()), done.errorMessage());
                    }
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ApiException(ApiError.UNAVAILABLE, "replica '" + replica + "' did not act on run "
                            + runId + " within " + COMMAND_WAIT.toSeconds() + " s; it may still do so");
                }
                CompletableFuture<Void> signalled = awaiting.computeIfAbsent(id, k -> new CompletableFuture<>());
                await(signalled, Math.min(left, COMMAND_POLL.toNanos()));
                if (signalled.isDone()) {
                    awaiting.remove(id, signalled);
                }
            }
        } finally {
            awaiting.remove(id);
        }
    }

    private static ApiError errorOf(String name) {
        try {
            return ApiError.valueOf(name);
        } catch (IllegalArgumentException | NullPointerException e) {
            return ApiError.INTERNAL_ERROR;
        }
    }

    private static void await(CompletableFuture<Void> signalled, long nanos) {
        try {
            signalled.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // look again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(ApiError.UNAVAILABLE, "interrupted while waiting for another replica");
        }
    }

    /** Every replica's row, alive or not. */
    List<Cluster.Replica> replicas() {
        return cluster.replicas(settings.silence());
    }

    @Override
    public void close() {
        ticks.shutdownNow();
        commands.shutdownNow();
        try {
            ticks.awaitTermination(5, TimeUnit.SECONDS);
            commands.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
