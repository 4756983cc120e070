package dev.lightrun.server.metrics;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.runs.RunEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns run events into meters: runs started (by bounded image label), finished (by status and error code), running
 * and queued now, queue wait, run and phase durations, admission rejections, tenants' running runs and quota
 * refusals, evictions, and Docker errors seen in run results. Meters of the hot path are registered up front or
 * looked up in a small map, so a run costs a few map lookups and counter increments. Thread-safe.
 */
public final class RunMetrics implements RunEvents {
    /** The SDK's phases, in order ({@code RunResult.timings}); anything else is counted as {@code other}. */
    static final List<String> PHASES = List.of("image", "plan", "files", "create", "upload", "attach", "start", "run",
            "extract", "remove");
    /** Fixed buckets (not Micrometer's ~70 per timer): enough for p50/p99 from a few ms to an hour. */
    static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofHours(1)};
    static final String NONE = "none";

    private final MeterRegistry registry;
    private final ImageLabels images;
    private final ConcurrentHashMap<String, Counter> started = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> finished = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> quotaRejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> phases = new ConcurrentHashMap<>();
    private final EnumMap<RunStatus, Timer> durations = new EnumMap<>(RunStatus.class);
    private final Timer queueWait;
    private final Counter evicted;
    /** Runs holding a slot, with their owner; a run counts once however its events arrive. */
    private final ConcurrentHashMap<String, String> running = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> queued = new ConcurrentHashMap<>();
    private volatile IntSupplier queueDepth = queued::size;
    private final ConcurrentHashMap<String, AtomicInteger> runningByOwner = new ConcurrentHashMap<>();

    RunMetrics(MeterRegistry registry, ImageLabels images) {
        this.registry = registry;
        this.images = images;
        images.all().forEach(this::startedCounter);
        for (RunStatus status : List.of(RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)) {
            durations.put(status, Timer.builder("light_run.run.duration")
                    .description("Container start to exit of finished runs")
                    .tag("status", status.json()).serviceLevelObjectives(BUCKETS).register(registry));
        }
        finishedCounter(RunStatus.SUCCEEDED, null);
        finishedCounter(RunStatus.FAILED, RunErrorCode.NONZERO_EXIT);
        finishedCounter(RunStatus.FAILED, RunErrorCode.TIMED_OUT);
        finishedCounter(RunStatus.CANCELLED, RunErrorCode.CANCELLED);
        PHASES.forEach(this::phaseTimer);
        List.of("queue_full", "quota", "policy").forEach(this::rejectedCounter);
        queueWait = Timer.builder("light_run.queue.wait").description("Time runs waited in the queue for a slot")
                .serviceLevelObjectives(BUCKETS).register(registry);
        evicted = Counter.builder("light_run.artifacts.evicted")
                .description("Finished runs whose files were removed to keep artifacts under the cap").register(registry);
        Gauge.builder("light_run.runs.running", running, Map::size).description("Runs holding a slot now")
                .register(registry);
        Gauge.builder("light_run.queue.depth", this, metrics -> metrics.queueDepth.getAsInt())
                .description("Runs waiting for a slot now").register(registry);
    }

    /**
     * Where the queue depth comes from when the queue is not this process's: with replicas, the database's shared
     * queue (every replica shows the same depth; the runs this process saw queued would never leave its count when
     * another replica starts them).
     */
    void countQueue(IntSupplier depth) {
        this.queueDepth = depth;
    }

    @Override
    public void queued(RunState run) {
        queued.put(run.id(), Boolean.TRUE);
    }

    @Override
    public void started(RunState run, Duration queueWait) {
        queued.remove(run.id());
        startedCounter(images.of(run.image())).increment();
        this.queueWait.record(queueWait);
        holdSlot(run);
    }

    @Override
    public void reattached(RunState run) {
        holdSlot(run);
    }

    private void holdSlot(RunState run) {
        String owner = ownerOf(run);
        if (running.putIfAbsent(run.id(), owner) == null) {
            tenantRunning(owner).incrementAndGet();
        }
    }

    @Override
    public void finished(RunState run) {
        queued.remove(run.id());
        String owner = running.remove(run.id());
        if (owner != null) {
            tenantRunning(owner).decrementAndGet();
        }
        finishedCounter(run.status(), run.errorCode()).increment();
        Timer duration = durations.get(run.status());
        if (duration != null && run.durationMs() != null && (run.exitCode() != null || run.durationMs() > 0)) {
            duration.record(run.durationMs(), TimeUnit.MILLISECONDS);
        }
        for (Map.Entry<String, Long> phase : run.timings().entrySet()) {
            phaseTimer(PHASES.contains(phase.getKey()) ? phase.getKey() : "other")
                    .record(phase.getValue(), TimeUnit.MILLISECONDS);
        }
        if (run.errorCode() == RunErrorCode.DOCKER_ERROR || run.errorCode() == RunErrorCode.DAEMON_UNREACHABLE) {
            DockerMetrics.errorCounter(registry, "run").increment();
        }
    }

    @Override
    public void rejected(Caller caller, ApiException refusal) {
        String quota = refusal.fields().get("quota");
        rejectedCounter(quota != null ? "quota" : reason(refusal.error())).increment();
        if (quota != null) {
            quotaRejected.computeIfAbsent(caller.name() + '\n' + quota, key -> Counter
                    .builder("light_run.tenant.quota.rejected")
                    .description("Submissions refused by a tenant's quota")
                    .tags("owner", caller.name(), "quota", quota).register(registry)).increment();
        }
    }

    @Override
    public void evicted(String runId) {
        evicted.increment();
    }

    /** The {@code reason} label of a refusal: bounded by {@link ApiError}. */
    static String reason(ApiError error) {
        return switch (error) {
            case QUEUE_FULL -> "queue_full";
            case QUOTA_EXCEEDED -> "quota";
            case IMAGE_NOT_ALLOWED, BUILD_NOT_ALLOWED -> "policy";
            default -> error.code();
        };
    }

    private static String ownerOf(RunState run) {
        return run.owner() == null ? Caller.OPEN.name() : run.owner();
    }

    private AtomicInteger tenantRunning(String owner) {
        return runningByOwner.computeIfAbsent(owner, key -> {
            AtomicInteger count = new AtomicInteger();
            Gauge.builder("light_run.tenant.runs.running", count, AtomicInteger::get)
                    .description("Runs of one owner holding a slot now").tag("owner", key).register(registry);
            return count;
        });
    }

    private Counter startedCounter(String image) {
        return started.computeIfAbsent(image, key -> Counter.builder("light_run.runs.started")
                .description("Runs that got a slot and were launched, by the allow-list glob their image matched")
                .tag("image", key).register(registry));
    }

    private Counter finishedCounter(RunStatus status, RunErrorCode code) {
        String errorCode = code == null ? NONE : code.name();
        return finished.computeIfAbsent(status.json() + '\n' + errorCode, key -> Counter
                .builder("light_run.runs.finished").description("Runs that reached a final state")
                .tags("status", status.json(), "error_code", errorCode).register(registry));
    }

    private Counter rejectedCounter(String reason) {
        return rejected.computeIfAbsent(reason, key -> Counter.builder("light_run.admission.rejected")
                .description("Submissions refused before anything was recorded").tag("reason", key)
                .register(registry));
    }

    private Timer phaseTimer(String phase) {
        return phases.computeIfAbsent(phase, key -> Timer.builder("light_run.phase.duration")
                .description("Time runs spent in each phase").tag("phase", key).serviceLevelObjectives(BUCKETS)
                .register(registry));
    }
}
