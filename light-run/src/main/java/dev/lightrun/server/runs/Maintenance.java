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
        if (!interval.isZero()) {
            scheduler.scheduleWithFixedDelay(() -> sweep(ORPHAN_MIN_AGE), interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
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
