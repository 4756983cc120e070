package dev.lightrun.server.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;

/**
 * Records how a run ended, in this order: its files where they are served from and its log archived (so a state
 * listing them is never read before they can be fetched), then its final state and callback in one store transaction,
 * its artifact size and the eviction it may cause, the run events, the callback's first delivery, and whoever waits
 * for it here. What the run's slot does next is the run service's.
 */
final class RunEnding {
    private static final Logger log = LoggerFactory.getLogger(RunEnding.class);

    private final RunStore store;
    private final ArtifactStore artifacts;
    private final ArtifactEviction eviction;
    private final RunLogs logs;
    private final CallbackOutbox callbacks;
    private final RunEvents events;
    private final FinalStates finishing;
    private final ObjectMapper json;

    RunEnding(RunStore store, ArtifactStore artifacts, ArtifactEviction eviction, RunLogs logs,
              CallbackOutbox callbacks, RunEvents events, FinalStates finishing, ObjectMapper json) {
        this.store = store;
        this.artifacts = artifacts;
        this.eviction = eviction;
        this.logs = logs;
        this.callbacks = callbacks;
        this.events = events;
        this.finishing = finishing;
        this.json = json;
    }

    void record(RunState done) {
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
    }

    /**
     * Moves a finished run's extracted files where the store serves them from (S3: an upload; a local folder: nothing),
     * before its final state is stored. A failed upload is logged; the run keeps its outcome, its files are then not
     * found.
     */
    private void publishArtifacts(RunState done) {
        try {
            artifacts.publish(done.id());
        } catch (IOException | RuntimeException e) {
            log.error("run {} - its artifacts could not be stored: {}", done.id(), e.getMessage(), e);
        }
    }
}
