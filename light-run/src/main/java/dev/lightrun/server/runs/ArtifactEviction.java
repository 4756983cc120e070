package dev.lightrun.server.runs;

import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Keeps the artifacts of finished runs under the operator's cap: the oldest finished runs go first, with their logs
 * and states. The total comes from the store's per-run sizes; the artifact tree is never walked. Thread-safe.
 */
final class ArtifactEviction {
    private static final Logger log = LoggerFactory.getLogger(ArtifactEviction.class);

    private final ArtifactStore artifacts;
    private final RunLogs logs;
    private final RunStore store;
    private final long cap;
    /** True for a run this process is still executing: never a candidate, whatever the store says. */
    private final Predicate<String> live;
    private final ReentrantLock lock = new ReentrantLock();
    private final Consumer<String> evicted;

    ArtifactEviction(ArtifactStore artifacts, RunLogs logs, RunStore store, long cap, Predicate<String> live,
                     Consumer<String> evicted) {
        this.evicted = evicted;
        this.artifacts = artifacts;
        this.logs = logs;
        this.store = store;
        this.cap = cap;
        this.live = live;
    }

    /**
     * The artifact total comes from the store's per-run sizes (no walk of the artifact tree). A folder no run knows
     * (its run was deleted while the server was down, or the store was replaced) is removed.
     */
    void loadSizes() {
        Set<String> onDisk = new HashSet<>(artifacts.runsOnDisk());
        String cursor = null;
        do {
            RunStore.Page page = store.page(null, null, 1000, cursor);
            for (RunState state : page.runs()) {
                if (onDisk.remove(state.id()) && state.status().isTerminal() && !state.artifacts().isEmpty()) {
                    artifacts.recordFinished(state.id(), state.artifactBytes());
                }
            }
            cursor = page.next();
        } while (cursor != null);
        for (String orphan : onDisk) {
            try {
                artifacts.delete(orphan);
                log.info("run {} - artifacts folder removed: no run of that id is stored", orphan);
            } catch (IOException e) {
                log.warn("run {} - could not remove its orphan artifacts folder: {}", orphan, e.toString());
            }
        }
    }

    /** Evicts the oldest finished runs while artifacts are over the cap; returns how many runs were evicted. */
    int enforceCap() {
        long before = artifacts.runsOldestFirst().size();
        evictOver(null);
        return (int) (before - artifacts.runsOldestFirst().size());
    }

    /**
     * Removes the oldest finished runs' files (and states) until the total is under the cap. Never the run that
     * just finished; running runs have no recorded files yet, so they are never candidates.
     */
    void evictOver(String justFinished) {
        if (artifacts.totalBytes() <= cap) {
            return;
        }
        lock.lock();
        try {
            for (String candidate : artifacts.runsOldestFirst()) {
                if (artifacts.totalBytes() <= cap) {
                    break;
                }
                if (candidate.equals(justFinished) || live.test(candidate)) {
                    continue;
                }
                try {
                    forget(candidate);
                    log.info("run {} - evicted: artifacts over the cap of {} bytes", candidate, cap);
                    evicted.accept(candidate);
                } catch (IOException e) {
                    log.warn("run {} - eviction failed: {}", candidate, e.toString());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes everything a finished run left: its files, its log and its stored state (in that order, so a failure
     * leaves the state that still points at what is left). The one deletion of a run, for eviction and for
     * {@code DELETE /runs/{id}}.
     */
    void forget(String runId) throws IOException {
        artifacts.delete(runId);
        logs.delete(runId);
        store.delete(runId);
    }
}
