package dev.lightrun.server.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
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
    private final FinalStates finishing = new FinalStates();
    private final Admission admission;
    private final Function<String, Quota> restartQuotas;
    private final RateLimiter rates;
    private final RequestQuotas requestQuotas;
    private final RunEvents events;
    private volatile boolean shuttingDown;
    /** With replicas sharing the store: the shared queue, this replica's membership (null on a single server). */
    private volatile SharedQueue shared;
    private volatile ReplicaMember member;
    private volatile Cluster cluster;
    /** Runs this replica started after their claim had gone back to the queue: stopped, and recorded by nobody here. */
    private final Set<String> abandoned = ConcurrentHashMap.newKeySet();

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
        this.admission = new Admission(maxConcurrent, maxQueue);
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
        this.cluster = cluster;
        this.shared = new SharedQueue(cluster, slots, maxQueue, this::quotaOf, this::startClaimed);
        this.member = new ReplicaMember(cluster, new ReplicaMember.Settings(name, instance, host, url, heartbeat,
                silence), shared, this);
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
        if (shared != null) {
            return admitShared(queued, plan, request, caller, finished);
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

    /** Admits a run into the queue replicas share; a replica with a free slot (this one first) claims it. */
    private Submitted admitShared(RunState queued, RunPlan plan, RunRequest request, Caller caller,
                                  CompletableFuture<RunState> finished) {
        String id = queued.id();
        // Before it is in the queue: a replica may claim and finish it at once. Only a sync run's caller waits here
        // (and learns of its end from the executing replica's signal); a detached run's waiters are where it runs.
        if (!request.isDetached()) {
            finishing.put(id, finished);
        }
        Cluster.Enqueued result;
        try {
            result = shared.enqueue(queued, plan, requestBytes(request), caller.quota());
        } catch (RuntimeException e) {
            finishing.drop(id);
            throw e;
        }
        switch (result) {
            case QUEUE_FULL -> {
                finishing.drop(id);
                throw new ApiException(ApiError.QUEUE_FULL, "every slot is busy and the queue is full ("
                        + shared.length() + " waiting across the replicas); retry later");
            }
            case OWNER_QUEUE_FULL -> {
                finishing.drop(id);
                throw new ApiException(ApiError.QUOTA_EXCEEDED, "'" + caller.name() + "' already has "
                        + caller.quota().maxQueued() + " run(s) waiting, its maxQueued quota; retry when one has"
                        + " started").withField("quota", "maxQueued");
            }
            default -> {
                // The run's events (its span, its meters) are told by the replica that claims it, which also ends
                // them: this one may never hear of it again.
                log.info("run {} - queued (image {}, {})", id, request.image(), request.isDetached() ? "detached" : "sync");
                shared.wake();
                return new Submitted(queued, finished);
            }
        }
    }

    /** A run this replica claimed from the shared queue (already recorded running here): starts it. */
    private void startClaimed(Cluster.Claimed claimed) {
        RunState running = claimed.running();
        RunRequest request;
        try {
            request = json.readValue(claimed.request(), RunRequest.class);
        } catch (IOException | RuntimeException e) {
            complete(running.endedWithoutContainer(RunStatus.FAILED, "its queued request could not be read back: "
                    + e.getMessage(), RunErrorCode.LOST));
            return;
        }
        Duration waited = Duration.between(running.queuedAt(), running.startedAt());
        finishing.expect(running.id());
        events.accepted(running);
        events.started(running, waited.isNegative() ? Duration.ZERO : waited);
        log.info("run {} - started after {} ms in the queue", running.id(), waited.toMillis());
        launch(running, request);
    }

    /** Another replica stored a run's final state: whoever waits here for it gets it. */
    void finishedElsewhere(String id) {
        if (finishing.waited().contains(id) && !live.contains(id)) {
            store.find(id).filter(state -> state.status().isTerminal()).ifPresent(state -> finishing.complete(id, state));
        }
    }

    /** {@link #finishedElsewhere} for every run waited for here (a signal may have been missed). */
    void settleFinishedElsewhere() {
        finishing.waited().forEach(this::finishedElsewhere);
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
    private void launch(RunState running, RunRequest request) {
        live.launching(running.id());
        try {
            var spec = specs.create(running.id(), request, logs.writerFor(running.id()));
            Execution execution = runner.start(spec);
            track(running, execution, request.isDetached());
            if (cluster != null) {
                // Not before its container has started (start() returns before the image is pulled or built): until
                // then a replica that dies leaves the claim to go back to the queue.
                execution.started().thenRunAsync(() -> markLaunched(running.id()), Thread.ofVirtual()::start);
            }
        } catch (RuntimeException e) {
            log.error("run {} - could not be started", running.id(), e);
            complete(running.endedWithoutContainer(RunStatus.FAILED, "could not start: " + e.getMessage(), RunErrorCode.START_FAILED));
        } finally {
            live.launched(running.id());
        }
    }

    /** A claimed run's container has started: the claim can no longer go back to the queue, its request is dropped. */
    private void markLaunched(String id) {
        try {
            if (!cluster.launched(id)) {
                // Its claim went back to the queue while this replica was stalled (longer than the silence), and
                // another replica may run it: this start must not go on, nor record anything for the run.
                log.warn("run {} - its claim was given back to the queue while it started here; stopping it", id);
                abandoned.add(id);
                live.execution(id).ifPresent(Execution::cancel);
            }
        } catch (RuntimeException e) {
            // The run goes on; only if this replica went silent now would it be started again elsewhere.
            log.warn("run {} - could not record its start in the shared queue: {}", id, e.getMessage());
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
        if (abandoned.remove(accepted.id())) {
            // Not this replica's run any more: its state and log are the replica's that claimed it again.
            logs.deleteLocal(accepted.id());
            shared.release(accepted.id());
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
        if (shared != null) {
            signalFinished(id);
            shared.release(id);
        } else if (!shuttingDown) {
            startWaiting(admission.release(id));
        } else {
            // Waiting runs stay in line (and queued in the store) for the next start.
            admission.free(id);
        }
    }

    /** Tells the other replicas a run ended (a client may wait for it there). */
    private void signalFinished(String id) {
        try {
            cluster.signal(Cluster.Signal.finished(id));
        } catch (RuntimeException e) {
            log.warn("run {} - could not tell the other replicas it ended: {}", id, e.getMessage());
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
        new RunRecovery(this, runner, store, artifacts, callbacks, specs, logs, json, cluster).run();
    }

    /** A run found running at start-up: it holds a slot again and is followed to its end. */
    void reattached(RunState state, Execution execution) {
        if (shared != null) {
            shared.occupy(state.id());
            // Its container exists (this replica may have stopped before recording that): no longer a claim that
            // could go back to the queue.
            cluster.launched(state.id());
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
        if (shared != null) {
            member.start();
            shared.start();
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
        if (shared != null) {
            // No more claims; queued runs wait in the database for any replica. A client waiting here for a run
            // that is not executing here gets its state now.
            shared.close();
            for (String id : finishing.waited()) {
                if (!live.contains(id)) {
                    store.find(id).ifPresent(state -> finishing.complete(id, state));
                }
            }
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
        if (member != null) {
            member.close();
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
        if (member != null && !live.contains(id)) {
            Optional<RunState> queued = cluster.withdraw(id);
            if (queued.isPresent()) {
                complete(queued.get().endedWithoutContainer(RunStatus.CANCELLED, "run was cancelled while queued",
                        RunErrorCode.CANCELLED));
                return;
            }
            if (forwarded(id, Cluster.Command.Action.CANCEL, null, null)) {
                return;
            }
        }
        cancelHere(id);
    }

    /** {@link #cancel} of a run of this process. */
    void cancelHere(String id) {
        Optional<Admission.Waiting> queued = admission.withdraw(id);
        if (queued.isPresent()) {
            complete(queued.get().state().endedWithoutContainer(RunStatus.CANCELLED, "run was cancelled while queued",
                    RunErrorCode.CANCELLED));
            return;
        }
        if (live.cancelWhileStarting(id)) {
            log.info("run {} - cancel requested while it was starting", id);
            return;
        }
        if (!running(id).cancel()) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    /** Signal, then kill after {@code grace}; the run ends {@code cancelled}. */
    public void stop(String id, String signal, Duration grace) {
        if (!forwarded(id, Cluster.Command.Action.STOP, signal, grace)) {
            stopHere(id, signal, grace);
        }
    }

    void stopHere(String id, String signal, Duration grace) {
        if (!running(id).stop(signal, grace)) {
            throw ApiException.notFound("run " + id + " is not running");
        }
    }

    public void pause(String id) {
        if (!forwarded(id, Cluster.Command.Action.PAUSE, null, null)) {
            pauseHere(id);
        }
    }

    public void resume(String id) {
        if (!forwarded(id, Cluster.Command.Action.RESUME, null, null)) {
            resumeHere(id);
        }
    }

    void pauseHere(String id) {
        control(id, Execution::pause);
    }

    void resumeHere(String id) {
        control(id, Execution::resume);
    }

    /**
     * Carries a lifecycle call to the replica executing the run, when that is another replica; false when the run is
     * this process's (or not running anywhere), which then answers itself.
     */
    private boolean forwarded(String id, Cluster.Command.Action action, String signal, Duration grace) {
        if (member == null || live.contains(id)) {
            return false;
        }
        RunState state = get(id);
        String replica = state.replica();
        if (state.status().isTerminal() || replica == null || replica.equals(member.settings().name())) {
            return false;
        }
        member.forward(replica, id, action, signal, grace);
        return true;
    }

    private void control(String id, Consumer<Execution> action) {
        Execution execution = running(id);
        try {
            action.accept(execution);
        } catch (RunnerException e) {
            throw ApiException.fromRunner(e);
        }
    }

    private Execution running(String id) {
        RunState state = get(id);
        return live.execution(id).filter(execution -> !state.status().isTerminal())
                .orElseThrow(() -> ApiException.notFound("run " + id + " is not running"));
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
        return shared != null ? shared.length() : admission.queueLength();
    }

    /** This replica's name; empty on a single server. */
    public Optional<String> replicaName() {
        return member == null ? Optional.empty() : Optional.of(member.settings().name());
    }

    /** Every replica sharing the store (alive or not); empty on a single server. */
    public List<Cluster.Replica> replicas() {
        return member == null ? List.of() : member.replicas();
    }

    /**
     * The API address of the replica executing a run that is not this process's (its live log is read there); empty
     * when the run is this process's, not executing, or its replica has no address.
     */
    public Optional<String> executingElsewhere(RunState state) {
        if (member == null || state.status().isTerminal() || state.replica() == null
                || state.replica().equals(member.settings().name()) || live.contains(state.id())) {
            return Optional.empty();
        }
        return cluster.urlOf(state.replica());
    }

    /**
     * Declares a silent replica gone for good: its runs recorded running end failed ({@link RunErrorCode#REPLICA_LOST})
     * with their callbacks sent from here, its claims never started go back to the queue, its undelivered callbacks
     * are delivered from here, and its row is deleted. 404 when there is no such replica (or no replicas); 409 for
     * this replica or one still alive. Returns how many runs ended.
     */
    public int forgetReplica(String name) {
        if (member == null) {
            throw ApiException.notFound("this server is not one of several replicas");
        }
        if (name.equals(member.settings().name())) {
            throw ApiException.conflict("replica '" + name + "' is this one; stop it, then forget it from another");
        }
        Cluster.Replica replica = member.replicas().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> ApiException.notFound("replica '" + name + "' is not known"));
        if (replica.alive()) {
            throw ApiException.conflict("replica '" + name + "' is alive (last heartbeat " + replica.heartbeatAt()
                    + "); stop it before forgetting it");
        }
        Cluster.Adopted adopted = cluster.adoptRunsOf(name);
        for (RunState state : adopted.running()) {
            complete(state.endedWithoutContainer(RunStatus.FAILED, "its replica '" + name + "' was declared gone"
                    + " (light-run replicas forget) while it ran", RunErrorCode.REPLICA_LOST));
        }
        store.pendingCallbacks().stream().filter(callback -> adopted.callbacks().contains(callback.runId()))
                .forEach(callbacks::send);
        cluster.remove(name);
        log.info("replica {} - forgotten: {} run(s) ended {}, {} callback(s) taken over", name,
                adopted.running().size(), RunErrorCode.REPLICA_LOST, adopted.callbacks().size());
        return adopted.running().size();
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
