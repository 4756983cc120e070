package dev.lightrun.server.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.Runner;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

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
    private final RunEnding ending;
    private final LiveRuns live = new LiveRuns();
    private final LocalControl control;
    private final FinalStates finishing = new FinalStates();
    /** The single server's queue (unused once it joins a cluster: the replicas' queue is the database's). */
    private final LocalQueue local;
    private final Function<String, Quota> restartQuotas;
    private final RateLimiter rates;
    private final RequestQuotas requestQuotas;
    private final RunEvents events;
    private volatile boolean shuttingDown;
    /** With replicas sharing the store: what differs for this one (null on a single server). */
    private volatile ReplicaRuns replica;

    public RunService(Runner runner, RunStore store, ArtifactStore artifacts, CallbackOutbox callbacks,
                      RunSpecFactory specs, RunLogs logs, ObjectMapper json, long maxArtifactsBytes,
                      int maxConcurrent, int maxQueue) {
        this(runner, store, artifacts, callbacks, specs, logs, json, maxArtifactsBytes, maxConcurrent, maxQueue,
                owner -> Quota.UNLIMITED, RunEvents.NONE);
    }

    /**
     * @param restartQuotas the quota of an owner, for the runs {@link #recover()} puts back in line (their caller is
     *                      gone; its {@code maxConcurrent} still applies to them); {@link Quota#UNLIMITED} for an owner
     *                      no longer known. Never called with a null owner.
     * @param events        told of every run's lifecycle (metrics, traces); {@link RunEvents#NONE} for nobody
     */
    public RunService(Runner runner, RunStore store, ArtifactStore artifacts, CallbackOutbox callbacks,
                      RunSpecFactory specs, RunLogs logs, ObjectMapper json, long maxArtifactsBytes,
                      int maxConcurrent, int maxQueue, Function<String, Quota> restartQuotas, RunEvents events) {
        this(runner, store, artifacts, callbacks, specs, logs, json, maxArtifactsBytes, maxConcurrent, maxQueue,
                restartQuotas, events, System::nanoTime);
    }

    /** As above, with the clock of the runsPerMinute buckets ({@code System::nanoTime}; tests pass a fake one). */
    RunService(Runner runner, RunStore store, ArtifactStore artifacts, CallbackOutbox callbacks,
               RunSpecFactory specs, RunLogs logs, ObjectMapper json, long maxArtifactsBytes,
               int maxConcurrent, int maxQueue, Function<String, Quota> restartQuotas, RunEvents events,
               LongSupplier nanoTime) {
        this.events = events;
        // A queued run handed a slot counts as being launched at once, under the admission lock: a cancel between
        // that moment and its launch would otherwise find it neither queued nor starting (and answer 404).
        this.local = new LocalQueue(maxConcurrent, maxQueue, live::launching, store, finishing, events,
                this::launch);
        this.restartQuotas = restartQuotas;
        this.rates = new RateLimiter(nanoTime);
        this.requestQuotas = new RequestQuotas(specs);
        this.runner = runner;
        this.store = store;
        this.artifacts = artifacts;
        this.callbacks = callbacks;
        this.specs = specs;
        this.logs = logs;
        this.json = json;
        this.control = new LocalControl(live, local::withdraw, this::get, this::complete);
        this.eviction = new ArtifactEviction(artifacts, logs, store, maxArtifactsBytes, live::contains,
                events::evicted);
        this.ending = new RunEnding(store, artifacts, eviction, logs, callbacks, events, finishing, json);
    }

    /**
     * Makes this server one replica of several sharing its store: runs are admitted into the database's queue and
     * claimed from it, lifecycle calls for another replica's runs travel as commands. Called once, before
     * {@link #recover()}.
     */
    public void joinCluster(Cluster cluster, String name, String instance, String host, Supplier<String> url,
                            Duration heartbeat, Duration silence, int slots, int maxQueue) {
        this.replica = new ReplicaRuns(cluster, new ReplicaRuns.Parts(this, store, finishing, live, events, logs,
                callbacks, json, this::quotaOf), name, instance, host, url, heartbeat, silence, slots, maxQueue);
    }

    private Quota quotaOf(String owner) {
        return owner == null ? Quota.UNLIMITED : restartQuotas.apply(owner);
    }

    /** A run that was accepted: its first state, and its final state once it ends. */
    public record Submitted(RunState accepted, CompletableFuture<RunState> finished) {
    }

    /**
     * Records a run and starts it, or queues it when every slot it may use is taken. Checks, in order, with nothing
     * recorded or consumed by a refusal: the request ({@link IllegalArgumentException} when it cannot become a valid
     * run), the server's policy ({@link ApiException} IMAGE_NOT_ALLOWED, BUILD_NOT_ALLOWED), the caller's request
     * quotas (BAD_REQUEST or IMAGE_NOT_ALLOWED with a {@code quota} field, see {@link RequestQuotas}), its
     * {@code runsPerMinute} (QUOTA_EXCEEDED with Retry-After), then admission: QUOTA_EXCEEDED when the caller's
     * {@code maxQueued} runs already wait, QUEUE_FULL when the server's queue is full. Only an accepted run takes a
     * runsPerMinute token.
     */
    public Submitted submit(RunRequest request, Caller caller) {
        try {
            return admit(request, caller);
        } catch (ApiException refusal) {
            events.rejected(caller, refusal);
            throw refusal;
        }
    }

    private Submitted admit(RunRequest request, Caller caller) {
        if (shuttingDown) {
            throw new ApiException(ApiError.UNAVAILABLE, "the server is shutting down; try again shortly");
        }
        specs.checkAllowed(request);
        RunRequest effective = requestQuotas.apply(request, caller);
        String id = RunIds.next();
        // Built once here to refuse an invalid run before anything is recorded; built again when it starts.
        var spec = specs.create(id, effective, LogSink.NONE);
        rates.acquire(caller);
        try {
            return admit(id, effective, spec.timeout(), caller);
        } catch (RuntimeException e) {
            rates.refund(caller);
            throw e;
        }
    }

    /** Records the run and starts or queues it, or refuses it (nothing recorded). */
    private Submitted admit(String id, RunRequest request, Duration timeout, Caller caller) {
        Instant now = Instant.now();
        RunPlan plan = new RunPlan(request.extract(), timeout, request.callbackUrl(), request.callbackSecret());
        CompletableFuture<RunState> finished = new CompletableFuture<>();
        RunState queued = RunState.queued(id, request.image(), caller.name(), request.isDetached(), now);
        if (replica != null) {
            // Its span begins where it is claimed: the submitting request's trace goes along, to be its parent there.
            return replica.admit(queued, plan.withTraceparent(events.traceparent()), requestBytes(request),
                    request.isDetached(), caller, finished);
        }
        return local.admit(queued, plan, request, requestBytes(request), caller, finished);
    }

    /**
     * Waits (at most {@code limit}) until a run this process is finishing has its final state stored; returns at once
     * for a run that is not in flight here (already recorded, or never ours).
     */
    public void awaitRecorded(String id, Duration limit) {
        finishing.await(id, limit);
    }

    private byte[] requestBytes(RunRequest request) {
        try {
            return json.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a run request", e);
        }
    }

    /** Starts a run that holds a slot; a failure to start ends it failed (and frees the slot). */
    void launch(RunState running, RunRequest request) {
        live.launching(running.id());
        try {
            var spec = specs.create(running.id(), request, logs.writerFor(running.id()));
            // A replica records the run as launched just before its workload may begin (and does not begin it when
            // its claim went back to the queue meanwhile): never both here and on the replica that claimed it again.
            Execution execution = replica == null ? runner.start(spec)
                    : runner.start(spec, () -> replica.mayStart(running.id()));
            track(running, execution, request.isDetached());
        } catch (RuntimeException e) {
            if (replica != null && replica.endAbandoned(running.id())) {
                return;
            }
            log.error("run {} - could not be started", running.id(), e);
            complete(running.endedWithoutContainer(RunStatus.FAILED, "could not start: " + e.getMessage(), RunErrorCode.START_FAILED));
        } finally {
            live.launched(running.id());
        }
    }

    private void track(RunState accepted, Execution execution, boolean detached) {
        live.track(accepted.id(), execution, detached);
        // Registered after put, so the removal in finish() always follows it.
        execution.result().whenComplete((result, failure) -> finish(accepted, result));
    }

    private void finish(RunState accepted, RunResult result) {
        live.remove(accepted.id());
        if (replica != null && replica.endAbandoned(accepted.id())) {
            return;
        }
        complete(RunStates.finished(accepted, result));
    }

    void complete(RunState done) {
        String id = done.id();
        ending.record(done);
        if (replica != null) {
            replica.ended(id);
        } else {
            // Shutting down, waiting runs stay in line (and queued in the store) for the next start.
            local.ended(id, shuttingDown);
        }
    }

    /**
     * At start-up, before serving: picks up what the previous process left (see {@link RunRecovery}): running runs
     * re-attached or ended LOST, queued runs back in line, pending callbacks resent.
     */
    public void recover() {
        eviction.loadSizes();
        new RunRecovery(this, runner, store, artifacts, callbacks, specs, logs, json,
                replica == null ? null : replica.cluster()).run();
    }

    /** A run found running at start-up: it holds a slot again and is followed to its end. */
    void reattached(RunState state, Execution execution) {
        if (replica != null) {
            replica.reattached(state.id());
        } else {
            local.occupy(state.id(), state.owner());
        }
        events.reattached(state);
        track(state, execution, state.detached());
    }

    /** A run found queued at start-up, back in its owner's line with the quota its key has now. */
    void requeued(RunState state, RunRequest request) {
        local.requeue(state, request, quotaOf(state.owner()));
    }

    /** Starts the queued runs that free slots allow (after recovery put them back in line). */
    void startQueued() {
        if (replica != null) {
            replica.start();
        } else {
            local.startQueued();
        }
    }

    /**
     * Graceful shutdown: refuse new runs, let sync runs finish within {@code grace}, then cancel the rest and record
     * it. Detached runs are left running; the next start re-attaches them.
     */
    public void shutdown(Duration grace) {
        shuttingDown = true;
        if (replica != null) {
            replica.stopClaiming();
        }
        // Queued runs stay queued in the store and start after the next start; a client waiting for one gets its
        // queued state now rather than a dropped connection.
        for (RunState waiting : local.waiting()) {
            finishing.complete(waiting.id(), waiting);
        }
        List<String> sync = live.sync();
        if (sync.isEmpty()) {
            closeMembership();
            return;
        }
        log.info("shutdown - waiting up to {} for {} sync run(s)", grace, sync.size());
        long deadline = System.nanoTime() + grace.toNanos();
        for (String id : sync) {
            finishing.await(id, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (String id : sync) {
            if (live.execution(id).map(Execution::cancel).orElse(false)) {
                log.info("run {} - cancelled by shutdown", id);
                finishing.await(id, Duration.ofSeconds(10));
            }
        }
        closeMembership();
    }

    /** Stops the heartbeat and command handling (after this replica's sync runs are recorded). */
    private void closeMembership() {
        if (replica != null) {
            replica.leave();
        }
    }

    /** Evicts the oldest finished runs while artifacts are over the cap; returns how many runs were evicted. */
    int enforceArtifactCap() {
        return eviction.enforceCap();
    }

    public RunState get(String id) {
        return store.find(id).orElseThrow(() -> ApiException.runNotFound(id));
    }

    /** One page of runs, newest first; {@code owner} null for every owner's. */
    public RunStore.Page page(RunStatus status, String owner, int limit, String cursor) {
        return store.page(status, owner, limit, cursor);
    }

    /**
     * Kills a running run, or takes a queued one out of line; it ends {@code cancelled}. 404 when unknown or finished.
     * With replicas, a run another replica executes is cancelled there (see {@link ReplicaMember#forward}).
     */
    public void cancel(String id) {
        if (replica != null && !live.contains(id)
                && (replica.cancelQueued(id) || replica.forwarded(id, Cluster.Command.Action.CANCEL, null, null))) {
            return;
        }
        control.cancel(id);
    }

    /** Signal, then kill after {@code grace}; the run ends {@code cancelled}. */
    public void stop(String id, String signal, Duration grace) {
        if (!forwarded(id, Cluster.Command.Action.STOP, signal, grace)) {
            control.stop(id, signal, grace);
        }
    }

    public void pause(String id) {
        if (!forwarded(id, Cluster.Command.Action.PAUSE, null, null)) {
            control.pause(id);
        }
    }

    public void resume(String id) {
        if (!forwarded(id, Cluster.Command.Action.RESUME, null, null)) {
            control.resume(id);
        }
    }

    /** Whether another replica executes the run and took the call (see {@link ReplicaRuns#forwarded}). */
    private boolean forwarded(String id, Cluster.Command.Action action, String signal, Duration grace) {
        return replica != null && replica.forwarded(id, action, signal, grace);
    }

    /** The calls of {@link #cancel}, {@link #stop}, {@link #pause}, {@link #resume} for this process's runs only. */
    LocalControl local() {
        return control;
    }

    /** Deletes a finished run and its files. 409 while it runs. */
    public void delete(String id) {
        RunState state = get(id);
        if (!state.status().isTerminal() || live.contains(id)) {
            throw ApiException.conflict("run " + id + " is still running; cancel it first");
        }
        try {
            eviction.forget(id);
        } catch (IOException e) {
            throw new IllegalStateException("could not delete the files of run " + id + ": " + e.getMessage(), e);
        }
        log.info("run {} - deleted", id);
    }

    /** Runs waiting for a slot: in this process's queue, or with replicas in the shared one (a database count). */
    public int queueLength() {
        return replica != null ? replica.queueLength() : local.length();
    }

    /** The replicas sharing the store; {@link Replicas#NONE} on a single server. */
    public Replicas replicas() {
        return replica != null ? replica : Replicas.NONE;
    }

    /** What the engine says about itself; throws when the daemon does not answer. */
    public EngineInfo engine() {
        return runner.info();
    }

    /** Runs this process is executing now (queued ones not counted). */
    public int executing() {
        return live.size();
    }

    /** The runner's warm pools and how they are doing (empty without pools). */
    public List<PoolStats> pools() {
        return runner.pools();
    }
}
