package dev.lightrun.server.runs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.Reattach;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.logs.RunLogs;
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
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * At start-up, before serving: every run recorded as running is matched with its container by label. A running
 * container is followed to its end, an exited one is finished from its exit code, a missing one ends failed
 * ({@link RunErrorCode#LOST}) saying so. Queued runs go back in line in their stored order. Callbacks left undelivered
 * by the previous process are sent first: the runs finished here send their own, so sending the outbox after them
 * would deliver those twice. (Containers of ours that no run knows are removed by the {@link Maintenance} sweep that
 * runs right after.) The same code serves a restart and, later, a failover.
 */
final class RunRecovery {
    private static final Logger log = LoggerFactory.getLogger(RunRecovery.class);

    private final RunService service;
    private final Runner runner;
    private final RunStore store;
    private final ArtifactStore artifacts;
    private final CallbackOutbox callbacks;
    private final RunSpecFactory specs;
    private final RunLogs logs;
    private final ObjectMapper json;
    /** With replicas: the shared queue, where claims never started go back and queued runs stay; else null. */
    private final Cluster cluster;

    RunRecovery(RunService service, Runner runner, RunStore store, ArtifactStore artifacts, CallbackOutbox callbacks,
                RunSpecFactory specs, RunLogs logs, ObjectMapper json, Cluster cluster) {
        this.cluster = cluster;
        this.service = service;
        this.runner = runner;
        this.store = store;
        this.artifacts = artifacts;
        this.callbacks = callbacks;
        this.specs = specs;
        this.logs = logs;
        this.json = json;
    }

    void run() {
        // Before any run is finished here: a run ended below (LOST) adds its callback, sent once, by complete().
        int callbacksPending = callbacks.sendPending();
        int reattached = 0;
        int lost = 0;
        int requeued = 0;
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
                service.reattached(state, execution.get());
                reattached++;
            } else if (cluster != null && cluster.requeueIfUnlaunched(state.id())) {
                // Claimed, and this replica stopped before its container existed: any replica may start it.
                logs.deleteLocal(state.id());
                requeued++;
            } else {
                logs.delete(state.id());
                service.complete(state.endedWithoutContainer(RunStatus.FAILED, "its container was gone when light-run"
                        + " restarted (removed while the server was down)", RunErrorCode.LOST));
                lost++;
            }
        }
        // With replicas the queue is the database's: nothing to put back in line here.
        for (RunStore.Queued queued : cluster != null ? List.<RunStore.Queued>of() : store.queued()) {
            try {
                service.requeued(queued.state(), json.readValue(queued.request(), RunRequest.class));
                requeued++;
            } catch (IOException | RuntimeException e) {
                service.complete(queued.state().endedWithoutContainer(RunStatus.FAILED,
                        "its queued request could not be read back after a restart: " + e.getMessage(),
                        RunErrorCode.LOST));
            }
        }
        service.startQueued();
        log.info("recovery - {} run(s) re-attached, {} lost, {} queued run(s) back in line, {} callback(s) resent",
                reattached, lost, requeued, callbacksPending);
    }
}
