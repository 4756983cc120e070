package dev.lightrun.server.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.Reattach;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Accepts runs, starts them on the {@link Runner}, and finishes them: final state and callback in the store (one
 * transaction), artifact sizes and eviction, callback delivery. A run is recorded before the caller gets an answer,
 * so a crash after the answer cannot lose it; at start-up {@link #recover()} picks up what a previous process left
 * running. Thread-safe.
 */
public final class RunService {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);

    private final Runner runner;
    private final RunStore store;
    private final ArtifactStore artifacts;
    private final CallbackOutbox callbacks;
    private final RunSpecFactory specs;
    private final RunLogs logs;
    private final ObjectMapper json;
    private final ArtifactEviction eviction;
    private final ConcurrentHashMap<String, Tracked> executions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<RunState>> finishing = new ConcurrentHashMap<>();
    private final Admission admission;
    private volatile boolean shuttingDown;

    /** A run this process is executing, and whether a client is waiting for it. */
    private record Tracked(Execution execution, boolean detached) {
    }

    public RunService(Runner runner, RunStore store, ArtifactStore artifacts, CallbackOutbox callbacks,
                      RunSpecFactory specs, RunLogs logs, ObjectMapper json, long maxArtifactsBytes,
                      int maxConcurrent, int maxQueue) {
        this.admission = new Admission(maxConcurrent, maxQueue);
        this.runner = runner;
        this.store = store;
        this.artifacts = artifacts;
        this.callbacks = callbacks;
        this.specs = specs;
        this.logs = logs;
        this.json = json;
        this.eviction = new ArtifactEviction(artifacts, logs, store, maxArtifactsBytes, executions::containsKey);
    }

    /** A run that was accepted: its first state, and its final state once it ends. */
    public record Submitted(RunState accepted, CompletableFuture<RunState> finished) {
    }

    /**
     * Records a run and starts it, or queues it when every slot is taken. Throws {@link IllegalArgumentException}
     * (nothing recorded, nothing started) when the request cannot become a valid run, {@link ApiException} IMAGE_NOT_ALLOWED or BUILD_NOT_ALLOWED
     * when policy refuses it, and TOO_MANY when the queue is full.
     */
    public Submitted submit(RunRequest request, Caller caller) {
        if (shuttingDown) {
            throw new ApiException(ApiError.UNAVAILABLE, "the server is shutting down; try again shortly");
        }
        specs.checkAllowed(request);
        String id = RunIds.next();
        // Built once here to refuse an invalid run before anything is recorded; built again when it starts.
        var spec = specs.create(id, request, LogSink.NONE);
        Instant now = Instant.now();
        RunPlan plan = new RunPlan(request.extract(), spec.timeout(), request.callbackUrl(), request.callbackSecret());
        CompletableFuture<RunState> finished = new CompletableFuture<>();
        RunState queued = RunState.queued(id, request.image(), caller.name(), request.isDetached(), now);
        // The store write happens inside admit(), under the admission lock, so queue order and stored order agree.
        Admission.Decision decision = admission.admit(id, () -> {
            store.create(queued, plan, requestBytes(request));
            finishing.put(id, finished);
            return new Admission.Waiting(queued, request);
        });
        switch (decision) {
            case REFUSE -> throw new ApiException(ApiError.QUEUE_FULL,
                    "every slot is busy and the queue is full (" + admission.queueLength() + " waiting); retry later");
            case QUEUE -> {
                log.info("run {} - queued (image {}, {})", id, request.image(), request.isDetached() ? "detached" : "sync");
                return new Submitted(queued, finished);
            }
            default -> {
                RunState running = RunState.running(id, request.image(), caller.name(), request.isDetached(), now);
                try {
                    store.create(running, plan, null);
                } catch (RuntimeException e) {
                    // Not recorded, so not accepted: give the slot back (to a queued run, if one waits).
                    startWaiting(admission.release(id));
                    throw e;
                }
                finishing.put(id, finished);
                log.info("run {} - accepted (image {}, {})", id, request.image(), request.isDetached() ? "detached" : "sync");
                launch(running, request);
                return new Submitted(running, finished);
            }
        }
    }

    /**
     * Waits (at most {@code limit}) until a run this process is finishing has its final state stored; returns at once
     * for a run that is not in flight here (already recorded, or never ours).
     */
    public void awaitRecorded(String id, Duration limit) throws InterruptedException {
        CompletableFuture<RunState> finished = finishing.get(id);
        if (finished == null) {
            return;
        }
        try {
            finished.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Not recorded in time (or it failed to be): the caller goes on; the state says what the store has.
        }
    }

    private byte[] requestBytes(RunRequest request) {
        try {
            return json.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a run request", e);
        }
    }

    /** Starts a run that holds a slot; a failure to start ends it failed (and frees the slot). */
    private void launch(RunState running, RunRequest request) {
        try {
            var spec = specs.create(running.id(), request, logs.writerFor(running.id()));
            track(running, runner.start(spec), request.isDetached());
        } catch (RuntimeException e) {
            log.error("run {} - could not be started", running.id(), e);
            complete(running.endedWithoutContainer(RunStatus.FAILED, "could not start: " + e.getMessage(), RunErrorCode.START_FAILED));
        }
    }

    /** Starts queued runs that just got a slot. */
    private void startWaiting(List<Admission.Waiting> next) {
        for (Admission.Waiting waiting : next) {
            RunState running = waiting.state().startedNow();
            store.started(running);
            log.info("run {} - started after {} ms in the queue", running.id(),
                    Duration.between(running.queuedAt(), running.startedAt()).toMillis());
            launch(running, waiting.request());
        }
    }

    private void track(RunState accepted, Execution execution, boolean detached) {
        executions.put(accepted.id(), new Tracked(execution, detached));
        // Registered after put, so the removal in finish() always follows it.
        execution.result().whenComplete((result, failure) -> finish(accepted, result));
    }

    private void finish(RunState accepted, RunResult result) {
        executions.remove(accepted.id());
        complete(RunStates.finished(accepted, result));
    }

    private void complete(RunState done) {
        String id = done.id();
        Optional<RunPlan> plan = store.plan(id);
        byte[] callbackBody = null;
        if (done.detached() && plan.isPresent() && plan.get().callbackUrl() != null) {
            try {
                callbackBody = json.writeValueAsBytes(done);
            } catch (JsonProcessingException e) {
                log.error("run {} - could not render the callback body", id, e);
            }
        }
        store.finish(done, callbackBody);
        if (!done.artifacts().isEmpty()) {
            artifacts.recordFinished(id, done.artifactBytes());
            eviction.evictOver(id);
        }
        log.info("run {} - {} (exit {}, {} ms{})", id, done.status().json(), done.exitCode(), done.durationMs(),
                done.errorCode() == null ? "" : ", " + done.errorCode());
        if (callbackBody != null) {
            callbacks.send(new RunStore.PendingCallback(id, plan.get().callbackUrl(), plan.get().callbackSecret(),
                    callbackBody, 0));
        }
        CompletableFuture<RunState> waiter = finishing.remove(id);
        if (waiter != null) {
            waiter.complete(done);
        }
        if (!shuttingDown) {
            startWaiting(admission.release(id));
        } else {
            admission.release(id).forEach(admission::requeue);
        }
    }

    /**
     * At start-up, before serving: every run recorded as running is matched with its container by label. A running
     * container is followed to its end, an exited one is finished from its exit code, a missing one ends failed
     * saying so. Callbacks left undelivered by the previous process are sent first: the runs finished here send
     * their own, so sending the outbox after them would deliver those twice. (Containers of ours that no run knows
     * are removed by the {@link Maintenance} sweep that runs right after.)
     */
    public void recover() {
        eviction.loadSizes();
        // Before any run is finished here: a run ended below (LOST) adds its callback, sent once, by complete().
        int callbacksPending = callbacks.sendPending();
        int reattached = 0;
        int lost = 0;
        for (RunState state : store.running()) {
            RunPlan plan = store.plan(state.id()).orElse(new RunPlan(List.of(), Duration.ZERO, null, null));
            Extraction extraction = plan.extract().isEmpty() ? null : new Extraction(plan.extract(),
                    artifacts.folderOf(state.id()), ExtractPolicy.ON_SUCCESS, specs.maxRunArtifactBytes(),
                    specs.maxRunArtifactBytes());
            Optional<Execution> execution;
            try {
                Instant started = state.startedAt() == null ? state.queuedAt() : state.startedAt();
                execution = runner.reattach(new Reattach(state.id(), started.plus(plan.timeout()), extraction,
                        logs.writerFor(state.id()), specs.stateLogBytes()));
            } catch (RunnerException e) {
                log.warn("run {} - could not look for its container: {}", state.id(), e.getMessage());
                continue;
            }
            if (execution.isPresent()) {
                admission.occupy(state.id());
                track(state, execution.get(), state.detached());
                reattached++;
            } else {
                logs.delete(state.id());
                complete(state.endedWithoutContainer(RunStatus.FAILED, "its container was gone when light-run"
                        + " restarted (removed while the server was down)", RunErrorCode.LOST));
                lost++;
            }
        }
        int requeued = 0;
        for (RunStore.Queued queued : store.queued()) {
            try {
                RunRequest request = json.readValue(queued.request(), RunRequest.class);
                admission.requeue(new Admission.Waiting(queued.state(), request));
                requeued++;
            } catch (IOException | RuntimeException e) {
                complete(queued.state().endedWithoutContainer(RunStatus.FAILED,
                        "its queued request could not be read back after a restart: " + e.getMessage(), RunErrorCode.LOST));
            }
        }
        startWaiting(admission.fill());
        log.info("recovery - {} run(s) re-attached, {} lost, {} queued run(s) back in line, {} callback(s) resent",
                reattached, lost, requeued, callbacksPending);
    }

    /**
     * Graceful shutdown: refuse new runs, let sync runs finish within {@code grace}, then cancel the rest and record
     * it. Detached runs are left running; the next start re-attaches them.
     */
    public void shutdown(Duration grace) {
        shuttingDown = true;
        // Queued runs stay queued in the store and start after the next start; a client waiting for one gets its
        // queued state now rather than a dropped connection.
        for (Admission.Waiting waiting : admission.queued()) {
            CompletableFuture<RunState> waiter = finishing.remove(waiting.state().id());
            if (waiter != null) {
                waiter.complete(waiting.state());
            }
        }
        List<String> sync = executions.entrySet().stream().filter(e -> !e.getValue().detached())
                .map(Map.Entry::getKey).toList();
        if (sync.isEmpty()) {
            return;
        }
        log.info("shutdown - waiting up to {} for {} sync run(s)", grace, sync.size());
        long deadline = System.nanoTime() + grace.toNanos();
        for (String id : sync) {
            awaitFinal(id, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (String id : sync) {
            Tracked tracked = executions.get(id);
            if (tracked != null && tracked.execution().cancel()) {
                log.info("run {} - cancelled by shutdown", id);
                awaitFinal(id, Duration.ofSeconds(10));
            }
        }
    }

    private void awaitFinal(String id, Duration timeout) {
        CompletableFuture<RunState> waiter = finishing.get(id);
        if (waiter == null) {
            return;
        }
        try {
            waiter.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // still running: the caller decides
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("run {} - finished with an error: {}", id, e.getCause().toString());
        }
    }

    /** Evicts the oldest finished runs while artifacts are over the cap; returns how many runs were evicted. */
    int enforceArtifactCap() {
        return eviction.enforceCap();
    }

    public RunState get(String id) {
        return store.find(id).orElseThrow(() -> ApiException.runNotFound(id));
    }

    /** One page of runs, newest first. */
    public RunStore.Page page(RunStatus status, int limit, String cursor) {
        return store.page(status, limit, cursor);
    }

    /** Kills a running run, or takes a queued one out of line; it ends {@code cancelled}. 404 when unknown or finished. */
    public void cancel(String id) {
        Optional<Admission.Waiting> queued = admission.withdraw(id);
        if (queued.isPresent()) {
            complete(queued.get().state().endedWithoutContainer(RunStatus.CANCELLED, "run was cancelled while queued",
                    RunErrorCode.CANCELLED));
            return;
        }
        if (!running(id).execution().cancel()) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    /** Signal, then kill after {@code grace}; the run ends {@code cancelled}. */
    public void stop(String id, String signal, Duration grace) {
        if (!running(id).execution().stop(signal, grace)) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    public void pause(String id) {
        control(id, Execution::pause);
    }

    public void resume(String id) {
        control(id, Execution::resume);
    }

    private void control(String id, Consumer<Execution> action) {
        Tracked tracked = running(id);
        try {
            action.accept(tracked.execution());
        } catch (RunnerException e) {
            throw ApiException.fromRunner(e);
        }
    }

    private Tracked running(String id) {
        RunState state = get(id);
        Tracked tracked = executions.get(id);
        if (state.status().isTerminal() || tracked == null) {
            throw ApiException.notFound("run " + id + " is not running");
        }
        return tracked;
    }

    /** Deletes a finished run and its files. 409 while it runs. */
    public void delete(String id) {
        RunState state = get(id);
        if (!state.status().isTerminal() || executions.containsKey(id)) {
            throw ApiException.conflict("run " + id + " is still running; cancel it first");
        }
        try {
            artifacts.delete(id);
        } catch (IOException e) {
            throw new IllegalStateException("could not delete the files of run " + id + ": " + e.getMessage(), e);
        }
        logs.delete(id);
        store.delete(id);
        log.info("run {} - deleted", id);
    }

    /** What the engine says about itself; throws when the daemon does not answer. */
    public EngineInfo engine() {
        return runner.info();
    }

    /** Runs this process is executing now (queued ones not counted). */
    public int executing() {
        return executions.size();
    }

    /** The runner's warm pools and how they are doing (empty without pools). */
    public java.util.List<dev.lightrun.runner.PoolStats> pools() {
        return runner.pools();
    }
}
