package dev.lightrun.server.runs;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The single server's side of admission ({@link ReplicaRuns} is the replicas'): a run starts at once or waits in this
 * process's fair queue ({@link Admission}), recorded in the store in the order it queued; a slot freed goes to the next
 * run in line, which is recorded started and handed to {@code launch}.
 */
final class LocalQueue {
    private static final Logger log = LoggerFactory.getLogger(LocalQueue.class);

    private final Admission admission;
    private final RunStore store;
    private final FinalStates finishing;
    private final RunEvents events;
    private final BiConsumer<RunState, RunRequest> launch;

    /**
     * @param onTaken told, under the admission lock, of each queued run handed a slot (see {@link Admission})
     * @param launch  starts a run that holds a slot (recorded running)
     */
    LocalQueue(int maxConcurrent, int maxQueue, Consumer<String> onTaken, RunStore store,
               FinalStates finishing, RunEvents events, BiConsumer<RunState, RunRequest> launch) {
        this.admission = new Admission(maxConcurrent, maxQueue, onTaken);
        this.store = store;
        this.finishing = finishing;
        this.events = events;
        this.launch = launch;
    }

    /** Records the run and starts or queues it, or refuses it (nothing recorded). */
    RunService.Submitted admit(RunState queued, RunPlan plan, RunRequest request, byte[] requestBytes, Caller caller,
                               CompletableFuture<RunState> finished) {
        String id = queued.id();
        // The store write happens inside admit(), under the admission lock, so queue order and stored order agree.
        Admission.Decision decision = admission.admit(id, caller.name(), caller.quota(), () -> {
            store.create(queued, plan, requestBytes);
            finishing.put(id, finished);
            return new Admission.Waiting(queued, request);
        });
        String mode = request.isDetached() ? "detached" : "sync";
        switch (decision) {
            case REFUSE -> throw new ApiException(ApiError.QUEUE_FULL,
                    "every slot is busy and the queue is full (" + admission.queueLength() + " waiting); retry later");
            case REFUSE_TENANT_QUEUE -> throw new ApiException(ApiError.QUOTA_EXCEEDED, "'" + caller.name()
                    + "' already has " + caller.quota().maxQueued() + " run(s) waiting, its maxQueued quota; retry"
                    + " when one has started").withField("quota", "maxQueued");
            case QUEUE -> {
                events.accepted(queued);
                events.queued(queued);
                log.info("run {} - queued (image {}, {})", id, request.image(), mode);
                return new RunService.Submitted(queued, finished);
            }
            default -> {
                RunState running = RunState.running(id, request.image(), caller.name(), request.isDetached(),
                        queued.queuedAt());
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
                log.info("run {} - accepted (image {}, {})", id, request.image(), mode);
                launch.accept(running, request);
                return new RunService.Submitted(running, finished);
            }
        }
    }

    /** A run ended: its slot goes to the next run in line, or (shutting down) stays free, the line kept for later. */
    void ended(String id, boolean shuttingDown) {
        if (shuttingDown) {
            admission.free(id);
        } else {
            startWaiting(admission.release(id));
        }
    }

    /** A run found running at start-up holds a slot again. */
    void occupy(String id, String owner) {
        admission.occupy(id, owner);
    }

    /** A run found queued at start-up, back in its owner's line with the quota its key has now. */
    void requeue(RunState state, RunRequest request, Quota quota) {
        admission.requeue(new Admission.Waiting(state, request), quota);
        events.queued(state);
    }

    /** Starts the queued runs that free slots allow (after recovery put them back in line). */
    void startQueued() {
        startWaiting(admission.fill());
    }

    /** Takes a queued run out of line; empty when it is not queued (any more). */
    Optional<Admission.Waiting> withdraw(String id) {
        return admission.withdraw(id);
    }

    /** The runs waiting now, in the order they arrived. */
    List<RunState> waiting() {
        return admission.queued().stream().map(Admission.Waiting::state).toList();
    }

    int length() {
        return admission.queueLength();
    }

    /** Starts queued runs that just got a slot. */
    private void startWaiting(List<Admission.Waiting> next) {
        for (Admission.Waiting waiting : next) {
            RunState running = waiting.state().startedNow();
            store.started(running);
            Duration waited = Duration.between(running.queuedAt(), running.startedAt());
            events.started(running, waited);
            log.info("run {} - started after {} ms in the queue", running.id(), waited.toMillis());
            launch.accept(running, waiting.request());
        }
    }
}
