package dev.lightrun.server.runs;

import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The periodic sweep: removes containers of ours that no live run tracks, networks of runs left idle, cached build
 * images unused for longer than their age, and enforces the artifact cap. Says what it did in one log line. A run
 * this process tracks is never touched (the runner knows its live executions).
 */
public final class Maintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
    /** A container younger than this may belong to a run being created right now: leave it to the next sweep. */
    private static final Duration ORPHAN_MIN_AGE = Duration.ofMinutes(1);
    /** How often an idle server looks whether its heap grew (see {@link #trimHeapWhenIdle}). */
    private static final Duration HEAP_TRIM_CHECK = Duration.ofSeconds(10);
    /** Growth of the committed heap since the last trim that is worth a trim. */
    private static final long HEAP_TRIM_SLACK_BYTES = 16L << 20;
    /** Committed heap after the last trim (start: nothing trimmed yet). */
    private volatile long trimmedAt = Runtime.getRuntime().totalMemory();

    private final Runner runner;
    private final RunService runs;
    private final Duration buildCacheMaxAge;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("maintenance").factory());

    public Maintenance(Runner runner, RunService runs, Duration buildCacheMaxAge) {
        this.runner = runner;
        this.runs = runs;
        this.buildCacheMaxAge = buildCacheMaxAge;
    }

    /** Sweeps every {@code interval} from now on; zero disables the periodic sweep. */
    public void schedule(Duration interval) {
        scheduler.scheduleWithFixedDelay(this::trimHeapWhenIdle, HEAP_TRIM_CHECK.toMillis(), HEAP_TRIM_CHECK.toMillis(),
                TimeUnit.MILLISECONDS);
        if (!interval.isZero()) {
            scheduler.scheduleWithFixedDelay(() -> sweep(ORPHAN_MIN_AGE), interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Gives back the heap a busy spell grew, once the server is idle. Serial GC shrinks the old generation only in a
     * full collection, and damps it (0%, 10%, 40%, then 100% of the excess over MaxHeapFreeRatio on successive ones),
     * so a server idled at ~179 MiB RSS after 400 runs at concurrency 8 (heap committed 77 MiB for ~19 MiB live);
     * four full collections (~20-50 ms each with this live set, only while no run executes) brought it to ~141 MiB.
     * Done once per idle spell: the heap is not shrunk again until runs have grown it.
     */
    void trimHeapWhenIdle() {
        try {
            Runtime heap = Runtime.getRuntime();
            long committed = heap.totalMemory();
            if (runs.executing() > 0 || committed <= trimmedAt + HEAP_TRIM_SLACK_BYTES) {
                return;
            }
            for (int i = 0; i < 4 && runs.executing() == 0; i++) {
                System.gc();
            }
            trimmedAt = heap.totalMemory();
            log.debug("maintenance - idle: heap {} MiB -> {} MiB committed", committed >> 20, trimmedAt >> 20);
        } catch (RuntimeException e) {
            log.debug("maintenance - heap trim failed: {}", e.toString());
        }
    }

    /** One sweep; {@code orphanMinAge} zero at start-up, when no run of this process can be half-created. */
    public SweepReport sweep(Duration orphanMinAge) {
        try {
            ReapReport reaped = runner.reapOrphans(orphanMinAge, buildCacheMaxAge);
            int evicted = runs.enforceArtifactCap();
            SweepReport report = new SweepReport(reaped.containers().size(), reaped.networks().size(),
                    reaped.images().size(), evicted);
            log.info("maintenance - removed {} orphan container(s), {} network(s), {} cached image(s); evicted {} run(s)",
                    report.containers(), report.networks(), report.images(), report.evictedRuns());
            return report;
        } catch (RunnerException | IllegalStateException e) {
            log.warn("maintenance - sweep failed: {}", e.getMessage());
            return new SweepReport(0, 0, 0, 0);
        }
    }

    /** What one sweep removed. */
    public record SweepReport(int containers, int networks, int images, int evictedRuns) {
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
