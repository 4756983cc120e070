package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What changes in the run service when it is one replica of several sharing a store ({@link RunService#joinCluster}):
 * runs are admitted into the shared queue and started when this replica claims them ({@link SharedQueue}); a run
 * executing elsewhere ends for the callers waiting here on that replica's signal; lifecycle calls for it travel as
 * commands ({@link ReplicaMember#forward}); a silent replica can be forgotten. The run service keeps everything a
 * single server does the same way (starting, finishing, recovery, control of its own runs) and asks this class only
 * where replicas differ.
 */
final class ReplicaRuns implements Replicas {
    private static final Logger log = LoggerFactory.getLogger(ReplicaRuns.class);

    private final Cluster cluster;
    private final SharedQueue queue;
    private final ReplicaMember member;
    private final RunService service;
    private final RunStore store;
    private final FinalStates finishing;
    private final LiveRuns live;
    private final RunEvents events;
    private final RunLogs logs;
    private final CallbackOutbox callbacks;
    private final ObjectMapper json;
    /** Runs whose claim had gone back to the queue before their workload began here: recorded by nobody here. */
    private final Set<String> abandoned = ConcurrentHashMap.newKeySet();

    /** The parts of the run service it works with, and this replica's settings. */
    record Parts(RunService service, RunStore store, FinalStates finishing, LiveRuns live, RunEvents events,
                 RunLogs logs, CallbackOutbox callbacks, ObjectMapper json, Function<String, Quota> quotas) {
    }

    ReplicaRuns(Cluster cluster, Parts parts, String name, String instance, String host, Supplier<String> url,
                Duration heartbeat, Duration silence, int slots, int maxQueue) {
        this.cluster = cluster;
        this.service = parts.service();
        this.store = parts.store();
        this.finishing = parts.finishing();
        this.live = parts.live();
        this.events = parts.events();
        this.logs = parts.logs();
        this.callbacks = parts.callbacks();
        this.json = parts.json();
        this.queue = new SharedQueue(cluster, slots, maxQueue, parts.quotas(), live::launching, this::startClaimed);
        this.member = new ReplicaMember(cluster, new ReplicaMember.Settings(name, instance, host, url, heartbeat,
                silence), queue, service, this);
    }

    Cluster cluster() {
        return cluster;
    }

    /** Admits a run into the queue replicas share; a replica with a free slot (this one first) claims it. */
    RunService.Submitted admit(RunState queued, RunPlan plan, byte[] request, boolean detached, Caller caller,
                               CompletableFuture<RunState> finished) {
        String id = queued.id();
        // Before it is in the queue: a replica may claim and finish it at once. Only a sync run's caller waits here
        // (and learns of its end from the executing replica's signal); a detached run's waiters are where it runs.
        if (!detached) {
            finishing.put(id, finished);
        }
        Cluster.Enqueued result;
        try {
            result = queue.enqueue(queued, plan, request, caller.quota());
        } catch (RuntimeException e) {
            finishing.drop(id);
            throw e;
        }
        switch (result) {
            case QUEUE_FULL -> {
                finishing.drop(id);
                throw new ApiException(ApiError.QUEUE_FULL, "every slot is busy and the queue is full ("
                        + queue.length() + " waiting across the replicas); retry later");
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
                log.info("run {} - queued (image {}, {})", id, queued.image(), detached ? "detached" : "sync");
                queue.wake();
                return new RunService.Submitted(queued, finished);
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
            live.launched(running.id());
            service.complete(running.endedWithoutContainer(RunStatus.FAILED, "its queued request could not be read"
                    + " back: " + e.getMessage(), RunErrorCode.LOST));
            return;
        }
        Duration waited = Duration.between(running.queuedAt(), running.startedAt());
        finishing.expect(running.id());
        events.accepted(running, claimed.traceparent());
        events.started(running, waited.isNegative() ? Duration.ZERO : waited);
        log.info("run {} - started after {} ms in the queue", running.id(), waited.toMillis());
        service.launch(running, request);
    }

    /**
     * Asked by the runner just before a claimed run's workload may begin (its container created and filled): records
     * the claim launched, so it can no longer go back to the queue, and drops its request. False when the claim went
     * back to the queue meanwhile (this replica was stalled past the silence) and another replica may run it: the run
     * then ends here without its workload ever running, and nothing is recorded for it here. Until this moment a
     * replica that dies leaves its claim to go back to the queue; from it on, never.
     */
    boolean mayStart(String id) {
        try {
            if (cluster.launched(id)) {
                return true;
            }
            log.warn("run {} - its claim was given back to the queue while it was being prepared here; not starting it",
                    id);
            abandoned.add(id);
            return false;
        } catch (RuntimeException e) {
            // The database is away: starting is the lesser risk (a second start needs this replica silent as well).
            log.warn("run {} - could not record its start in the shared queue ({}); starting it", id, e.getMessage());
            return true;
        }
    }

    /**
     * A run that ended here was abandoned ({@link #mayStart}): its slot is freed and its local log removed, and
     * true tells the caller to record nothing (its state and log are the replica's that claimed it again).
     */
    boolean endAbandoned(String id) {
        if (!abandoned.remove(id)) {
            return false;
        }
        logs.deleteLocal(id);
        queue.release(id);
        return true;
    }

    /** A run of this replica was recorded ended: the others learn it (a client may wait there), its slot is freed. */
    void ended(String id) {
        try {
            cluster.signal(Cluster.Signal.finished(id));
        } catch (RuntimeException e) {
            log.warn("run {} - could not tell the other replicas it ended: {}", id, e.getMessage());
        }
        queue.release(id);
    }

    /** Another replica stored a run's final state: whoever waits here for it gets it. */
    void finishedElsewhere(String id) {
        if (finishing.waited().contains(id) && !live.contains(id)) {
            store.find(id).filter(state -> state.status().isTerminal())
                    .ifPresent(state -> finishing.complete(id, state));
        }
    }

    /** {@link #finishedElsewhere} for every run waited for here (a signal may have been missed). */
    void settleFinishedElsewhere() {
        finishing.waited().forEach(this::finishedElsewhere);
    }

    /** A run found running at start-up holds a slot again, and its container exists: no claim to give back. */
    void reattached(String id) {
        queue.occupy(id);
        cluster.launched(id);
    }

    /** After recovery: heartbeats, signals and claims begin. */
    void start() {
        member.start();
        queue.start();
    }

    /**
     * Shutdown begins: no more claims (queued runs wait in the database for any replica), and a client waiting here
     * for a run that is not executing here gets its state now.
     */
    void stopClaiming() {
        queue.close();
        for (String id : finishing.waited()) {
            if (!live.contains(id)) {
                store.find(id).ifPresent(state -> finishing.complete(id, state));
            }
        }
    }

    /** Stops the heartbeat and command handling (after this replica's sync runs are recorded). */
    void leave() {
        member.close();
    }

    /** Takes a queued run out of the shared queue and ends it cancelled; false when it is not queued. */
    boolean cancelQueued(String id) {
        Optional<RunState> queued = cluster.withdraw(id);
        queued.ifPresent(state -> service.complete(state.endedWithoutContainer(RunStatus.CANCELLED,
                "run was cancelled while queued", RunErrorCode.CANCELLED)));
        return queued.isPresent();
    }

    /**
     * Carries a lifecycle call to the replica executing the run, when that is another replica; false when the run is
     * this process's (or not running anywhere), which then answers itself.
     */
    boolean forwarded(String id, Cluster.Command.Action action, String signal, Duration grace) {
        if (live.contains(id)) {
            return false;
        }
        RunState state = service.get(id);
        String replica = state.replica();
        if (state.status().isTerminal() || replica == null || replica.equals(name())) {
            return false;
        }
        member.forward(replica, id, action, signal, grace);
        return true;
    }

    @Override
    public Optional<String> executingElsewhere(RunState state) {
        if (state.status().isTerminal() || state.replica() == null || state.replica().equals(name())
                || live.contains(state.id())) {
            return Optional.empty();
        }
        return cluster.urlOf(state.replica());
    }

    String name() {
        return member.settings().name();
    }

    @Override
    public Optional<String> self() {
        return Optional.of(name());
    }

    @Override
    public List<Cluster.Replica> list() {
        return member.replicas();
    }

    int queueLength() {
        return queue.length();
    }

    @Override
    public int forget(String name) {
        if (name.equals(name())) {
            throw ApiException.conflict("replica '" + name + "' is this one; stop it, then forget it from another");
        }
        Cluster.Replica replica = list().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> ApiException.notFound("replica '" + name + "' is not known"));
        if (replica.alive()) {
            throw ApiException.conflict("replica '" + name + "' is alive (last heartbeat " + replica.heartbeatAt()
                    + "); stop it before forgetting it");
        }
        Cluster.Adopted adopted = cluster.adoptRunsOf(name);
        for (RunState state : adopted.running()) {
            service.complete(state.endedWithoutContainer(RunStatus.FAILED, "its replica '" + name + "' was declared"
                    + " gone (light-run replicas forget) while it ran", RunErrorCode.REPLICA_LOST));
        }
        store.pendingCallbacks().stream().filter(callback -> adopted.callbacks().contains(callback.runId()))
                .forEach(callbacks::send);
        cluster.remove(name);
        log.info("replica {} - forgotten: {} run(s) ended {}, {} callback(s) taken over", name,
                adopted.running().size(), RunErrorCode.REPLICA_LOST, adopted.callbacks().size());
        return adopted.running().size();
    }
}
