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
import java.util.Optional;
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
    private final LiveRuns live = new LiveRuns();
    private final LocalControl control;
    private final FinalStates finishing = new FinalStates();
    private final Admission admission;
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
        this.admission = new Admission(maxConcurrent, maxQueue, live::launching);
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
        this.control = new LocalControl(live, admission::withdraw, this::get, this::complete);
        this.eviction = new ArtifactEviction(artifacts, logs, store, maxArtifactsBytes, live::contains,
                events::evicted);
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
        // The store write happens inside admit(), under the admission lock, so queue order and stored order agree.
        Admission.Decision decision = admission.admit(id, caller.name(), caller.quota(), () -> {
            store.create(queued, plan, requestBytes(request));
            finishing.put(id, finished);
            return new Admission.Waiting(queued, request);
        });
        switch (decision) {
            case REFUSE -> throw new ApiException(ApiError.QUEUE_FULL,
                    "every slot is busy and the queue is full (" + admission.queueLength() + " waiting); retry later");
            case REFUSE_TENANT_QUEUE -> throw new ApiException(ApiError.QUOTA_EXCEEDED, "'" + caller.name()
                    + "' already has " + caller.quota().maxQueued() + " run(s) waiting, its maxQueued quota; retry"
                    + " when one has started").withField("quota", "maxQueued");
            case QUEUE -> {
                events.accepted(queued);
                events.queued(queued);
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
                events.accepted(running);
                events.started(running, Duration.ZERO);
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

    /** Starts queued runs that just got a slot. */
    private void startWaiting(List<Admission.Waiting> next) {
        for (Admission.Waiting waiting : next) {
            RunState running = waiting.state().startedNow();
            store.started(running);
            events.started(running, Duration.between(running.queuedAt(), running.startedAt()));
            log.info("run {} - started after {} ms in the queue", running.id(),
                    Duration.between(running.queuedAt(), running.startedAt()).toMillis());
            launch(running, waiting.request());
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
        publishArtifacts(done);
        logs.archive(id);
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
        events.finished(done);
        if (callbackBody != null) {
            callbacks.send(new RunStore.PendingCallback(id, plan.get().callbackUrl(), plan.get().callbackSecret(),
                    callbackBody, 0));
        }
        finishing.complete(id, done);
        if (replica != null) {
            replica.ended(id);
        } else if (!shuttingDown) {
            startWaiting(admission.release(id));
        } else {
            // Waiting runs stay in line (and queued in the store) for the next start.
            admission.free(id);
        }
    }

    /**
     * Moves a finished run's extracted files where the store serves them from (S3: an upload; a local folder: nothing),
     * before its final state is stored, so that a state listing artifacts is never read before they can be fetched.
     * A failed upload is logged; the run keeps its outcome, its files are then not found.
     */
    private void publishArtifacts(RunState done) {
        try {
            artifacts.publish(done.id());
        } catch (IOException | RuntimeException e) {
            log.error("run {} - its artifacts could not be stored: {}", done.id(), e.getMessage(), e);
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
            admission.occupy(state.id(), state.owner());
        }
        events.reattached(state);
        track(state, execution, state.detached());
    }

    /** A run found queued at start-up, back in its owner's line with the quota its key has now. */
    void requeued(RunState state, RunRequest request) {
        String owner = state.owner();
        admission.requeue(new Admission.Waiting(state, request),
                owner == null ? Quota.UNLIMITED : restartQuotas.apply(owner));
        events.queued(state);
    }

    /** Starts the queued runs that free slots allow (after recovery put them back in line). */
    void startQueued() {
        if (replica != null) {
            replica.start();
        } else {
            startWaiting(admission.fill());
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
        for (Admission.Waiting waiting : admission.queued()) {
            finishing.complete(waiting.state().id(), waiting.state());
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
        return replica != null ? replica.queueLength() : admission.queueLength();
    }

    /** This replica's name; empty on a single server. */
    public Optional<String> replicaName() {
        return replica == null ? Optional.empty() : Optional.of(replica.name());
    }

    /** Every replica sharing the store (alive or not); empty on a single server. */
    public List<Cluster.Replica> replicas() {
        return replica == null ? List.of() : replica.replicas();
    }

    /**
     * The API address of the replica executing a run that is not this process's (its live log is read there); empty
     * when the run is this process's, not executing, or its replica has no address.
     */
    public Optional<String> executingElsewhere(RunState state) {
        return replica == null ? Optional.empty() : replica.executingElsewhere(state);
    }

    /**
     * Declares a silent replica gone for good: its runs recorded running end failed ({@link RunErrorCode#REPLICA_LOST})
     * with their callbacks sent from here, its claims never started go back to the queue, its undelivered callbacks
     * are delivered from here, and its row is deleted. 404 when there is no such replica (or no replicas); 409 for
     * this replica or one still alive. Returns how many runs ended.
     */
    public int forgetReplica(String name) {
        if (replica == null) {
            throw ApiException.notFound("this server is not one of several replicas");
        }
        return replica.forget(name);
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
