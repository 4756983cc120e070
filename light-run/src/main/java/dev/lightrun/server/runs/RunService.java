package dev.lightrun.server.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.Runner;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Accepts runs, starts them on the {@link Runner}, and finishes them: final state in the store, artifact sizes and
 * eviction, callback. A run is recorded before the caller gets an answer, so nothing accepted is lost by a crash
 * after the answer. Thread-safe.
 */
public final class RunService {
    private static final Logger log = LoggerFactory.getLogger(RunService.class);

    private final Runner runner;
    private final RunStore store;
    private final ArtifactStore artifacts;
    private final CallbackSender callbacks;
    private final RunSpecFactory specs;
    private final ObjectMapper json;
    private final long maxArtifactsBytes;
    private final ConcurrentHashMap<String, Execution> executions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<RunState>> finishing = new ConcurrentHashMap<>();
    private final ReentrantLock evictionLock = new ReentrantLock();

    public RunService(Runner runner, RunStore store, ArtifactStore artifacts, CallbackSender callbacks,
                      RunSpecFactory specs, ObjectMapper json, long maxArtifactsBytes) {
        this.runner = runner;
        this.store = store;
        this.artifacts = artifacts;
        this.callbacks = callbacks;
        this.specs = specs;
        this.json = json;
        this.maxArtifactsBytes = maxArtifactsBytes;
    }

    /** A run that was accepted: its first state, and its final state once it ends. */
    public record Submitted(RunState accepted, CompletableFuture<RunState> finished) {
    }

    /**
     * Records and starts a run. Throws {@link IllegalArgumentException} (nothing recorded, nothing started) when the
     * request cannot become a valid run.
     */
    public Submitted submit(RunRequest request) {
        String id = RunIds.next();
        var spec = specs.create(id, request);
        RunState accepted = RunState.running(id, request.image(), request.isDetached(), Instant.now());
        store.save(accepted);
        CompletableFuture<RunState> finished = new CompletableFuture<>();
        finishing.put(id, finished);
        log.info("run {} - accepted (image {}, {})", id, request.image(), request.isDetached() ? "detached" : "sync");
        try {
            Execution execution = runner.start(spec);
            executions.put(id, execution);
            // Registered after put, so the removal in finish() always follows it.
            execution.result().whenComplete((result, failure) -> finish(accepted, request, result));
        } catch (RuntimeException e) {
            log.error("run {} - could not be started", id, e);
            complete(id, failed(accepted, "could not start: " + e.getMessage(), "START_FAILED"), request);
        }
        return new Submitted(accepted, finished);
    }

    private void finish(RunState accepted, RunRequest request, RunResult result) {
        executions.remove(accepted.id());
        RunState done = RunStates.finished(accepted, result);
        if (store.find(accepted.id()).isEmpty()) {
            log.warn("run {} - finished after its state was dropped; keeping the final state", accepted.id());
        }
        complete(accepted.id(), done, request);
    }

    private void complete(String id, RunState done, RunRequest request) {
        store.save(done);
        long bytes = done.artifactBytes();
        if (!done.artifacts().isEmpty()) {
            artifacts.recordFinished(id, bytes);
            evictOver(maxArtifactsBytes, id);
        }
        log.info("run {} - {} (exit {}, {} ms{})", id, done.status().json(), done.exitCode(), done.durationMs(),
                done.errorCode() == null ? "" : ", " + done.errorCode());
        if (request.isDetached() && request.callbackUrl() != null) {
            try {
                callbacks.send(id, request.callbackUrl(), request.callbackSecret(), json.writeValueAsBytes(done));
            } catch (JsonProcessingException e) {
                log.error("run {} - could not render the callback body", id, e);
            }
        }
        CompletableFuture<RunState> waiter = finishing.remove(id);
        if (waiter != null) {
            waiter.complete(done);
        }
    }

    private static RunState failed(RunState accepted, String error, String code) {
        return new RunState(accepted.id(), RunStatus.FAILED, accepted.image(), accepted.detached(),
                accepted.startedAt(), Instant.now(), null, 0L, false, false, List.of(), error, code,
                RunState.Logs.EMPTY, null);
    }

    /**
     * Removes the oldest finished runs' files (and states) until the total is under {@code cap}. Never the run that
     * just finished; running runs have no recorded files yet, so they are never candidates.
     */
    void evictOver(long cap, String justFinished) {
        if (artifacts.totalBytes() <= cap) {
            return;
        }
        evictionLock.lock();
        try {
            for (String candidate : artifacts.runsOldestFirst()) {
                if (artifacts.totalBytes() <= cap) {
                    break;
                }
                if (candidate.equals(justFinished) || executions.containsKey(candidate)) {
                    continue;
                }
                try {
                    artifacts.delete(candidate);
                    store.delete(candidate);
                    log.info("run {} - evicted: artifacts over the cap of {} bytes", candidate, cap);
                } catch (IOException e) {
                    log.warn("run {} - eviction failed: {}", candidate, e.toString());
                }
            }
        } finally {
            evictionLock.unlock();
        }
    }

    public RunState get(String id) {
        return store.find(id).orElseThrow(() -> RunException.notFound(id));
    }

    public List<RunState> list() {
        return store.listNewestFirst();
    }

    /** Kills a running run; it ends {@code cancelled}. 404 when unknown or already finished. */
    public void cancel(String id) {
        RunState state = get(id);
        Execution execution = executions.get(id);
        if (state.status().isTerminal() || execution == null || !execution.cancel()) {
            throw new RunException(RunException.Kind.NOT_FOUND, "run " + id + " is not running");
        }
    }

    /** Deletes a finished run and its files. 409 while it runs. */
    public void delete(String id) {
        RunState state = get(id);
        if (!state.status().isTerminal() || executions.containsKey(id)) {
            throw new RunException(RunException.Kind.CONFLICT, "run " + id + " is still running; cancel it first");
        }
        try {
            artifacts.delete(id);
        } catch (IOException e) {
            throw new IllegalStateException("could not delete the files of run " + id + ": " + e.getMessage(), e);
        }
        store.delete(id);
        log.info("run {} - deleted", id);
    }

    /** What the engine says about itself; throws when the daemon does not answer. */
    public EngineInfo engine() {
        return runner.info();
    }
}
