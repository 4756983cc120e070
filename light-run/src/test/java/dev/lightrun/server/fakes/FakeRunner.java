package dev.lightrun.server.fakes;

import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.NetworkInfo;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.Reattach;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A {@link Runner} without Docker, for unit tests of the server. It records every spec it was started with, in order;
 * each run is a {@link FakeExecution} the test ends by hand ({@code fake.execution(id).succeed()}). {@link #reattach}
 * answers from the containers the test declared present ({@link #containerPresent}); everything else is absent.
 * Networks are an in-memory list. Thread-safe.
 */
public final class FakeRunner implements Runner {
    private final AtomicReference<Consumer<RunSpec>> onStart = new AtomicReference<>();
    public static final EngineInfo ENGINE = new EngineInfo("27.0.0-fake", "1.46", "linux", "amd64");

    private final List<RunSpec> started = new CopyOnWriteArrayList<>();
    private final Map<String, FakeExecution> executions = new ConcurrentHashMap<>();
    private final Set<String> presentContainers = ConcurrentHashMap.newKeySet();
    private final List<Reattach> reattaches = new CopyOnWriteArrayList<>();
    private final Map<String, NetworkInfo> networks = new ConcurrentHashMap<>();
    private final AtomicReference<RuntimeException> startFailure = new AtomicReference<>();
    private final AtomicReference<RuntimeException> infoFailure = new AtomicReference<>();
    private final AtomicInteger reaps = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public Execution start(RunSpec spec) {
        return start(spec, () -> true);
    }

    /** Asks {@code mayStart} after the {@link #onNextStart} hook, as a real runner asks just before the workload. */
    @Override
    public Execution start(RunSpec spec, BooleanSupplier mayStart) {
        Consumer<RunSpec> hook = onStart.getAndSet(null);
        if (hook != null) {
            hook.accept(spec);
        }
        RuntimeException failure = startFailure.getAndSet(null);
        if (failure != null) {
            throw failure;
        }
        FakeExecution execution = new FakeExecution(spec.runId(), spec, null);
        executions.put(spec.runId(), execution);
        started.add(spec);
        if (!mayStart.getAsBoolean()) {
            execution.cancel();
        }
        return execution;
    }

    /**
     * The next {@link #start} first calls {@code hook} (once), while the run service is still handing the run over:
     * what another thread may do in that window (a cancel) happens there, deterministically.
     */
    public void onNextStart(Consumer<RunSpec> hook) {
        onStart.set(hook);
    }

    /** The next {@link #start} throws {@code failure} (once). */
    public void failNextStart(RuntimeException failure) {
        startFailure.set(failure);
    }

    /** Specs of every started run, in start order. */
    public List<RunSpec> started() {
        return List.copyOf(started);
    }

    /** Ids of every started run, in start order. */
    public List<String> startedIds() {
        return started.stream().map(RunSpec::runId).toList();
    }

    /** The execution of a run this runner started or re-attached; fails the test when there is none. */
    public FakeExecution execution(String runId) {
        FakeExecution execution = executions.get(runId);
        if (execution == null) {
            throw new AssertionError("run " + runId + " was never started nor re-attached; started: " + startedIds());
        }
        return execution;
    }

    /** A container of this run exists, so {@link #reattach} finds it. */
    public void containerPresent(String runId) {
        presentContainers.add(runId);
    }

    @Override
    public Optional<Execution> reattach(Reattach reattach) {
        reattaches.add(reattach);
        if (!presentContainers.contains(reattach.runId())) {
            return Optional.empty();
        }
        FakeExecution execution = new FakeExecution(reattach.runId(), null, reattach);
        executions.put(reattach.runId(), execution);
        return Optional.of(execution);
    }

    /** Every reattach request, in order. */
    public List<Reattach> reattaches() {
        return List.copyOf(reattaches);
    }

    /** {@link #info} throws {@code failure} from now on (null: answers again). */
    public void failInfo(RuntimeException failure) {
        infoFailure.set(failure);
    }

    @Override
    public EngineInfo info() {
        RuntimeException failure = infoFailure.get();
        if (failure != null) {
            throw failure;
        }
        return ENGINE;
    }

    @Override
    public NetworkInfo createNetwork(NetworkSpec spec) {
        NetworkInfo info = new NetworkInfo("net-" + spec.name(), spec.name(), "bridge", spec.iccEnabled(),
                spec.internal(), Instant.now(), spec.labels(), spec.subnet(), spec.gateway(), List.of());
        if (networks.putIfAbsent(spec.name(), info) != null) {
            throw new RunnerException(ErrorCode.CONFLICT, "network " + spec.name() + " already exists");
        }
        return info;
    }

    @Override
    public List<NetworkInfo> listNetworks() {
        return new ArrayList<>(networks.values());
    }

    @Override
    public void removeNetwork(String name) {
        if (networks.remove(name) == null) {
            throw new RunnerException(ErrorCode.NOT_FOUND, "network " + name + " not found");
        }
    }

    @Override
    public ReapReport reapOrphans(Duration olderThan, Duration unusedImagesFor) {
        reaps.incrementAndGet();
        return new ReapReport(List.of(), List.of(), List.of());
    }

    public int reaps() {
        return reaps.get();
    }

    /** No warm pools: every fake run starts "cold". */
    @Override
    public List<PoolStats> pools() {
        return List.of();
    }

    @Override
    public void close() {
        closed.set(true);
    }

    public boolean isClosed() {
        return closed.get();
    }
}
