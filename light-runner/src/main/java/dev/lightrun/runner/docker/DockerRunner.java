package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.AbstractSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * The Docker backend of {@link Runner}: the only class family in the project that talks to docker-java. Honours
 * {@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY} and {@code DOCKER_CERT_PATH} (unix socket, tcp, tcp + TLS), and
 * negotiates the API version by speaking the daemon's own (no version pinned), so it works with Engine 20.10 (API
 * 1.41) as well as 29.x. Thread-safe: one instance serves many concurrent runs, each on its own virtual thread.
 *
 * <pre>{@code
 * try (Runner runner = DockerRunner.fromEnvironment()) {
 *     RunResult result = runner.run(RunSpec.builder("python:3.12").file("main.py", "print(1)")
 *             .entrypoint("python3 main.py").build());
 * }
 * }</pre>
 */
public final class DockerRunner implements Runner {
    private static final Logger log = LoggerFactory.getLogger(DockerRunner.class);

    /** What an execution needs from the runner that started it. */
    record Context(ImageResolver images, NetworkManager networks, ScheduledExecutorService scheduler, String instance,
                   BindFiles bindFiles, ImageWorkdirs workdirs) {
    }

    private final DockerClient docker;
    private final Context context;
    private final ConcurrentHashMap<String, DockerExecution> live = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final WarmPools pools;

    DockerRunner(DockerRunnerBuilder builder) {
        DefaultDockerClientConfig.Builder config = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (builder.dockerHost != null) {
            config.withDockerHost(builder.dockerHost.toString());
        }
        DockerClientConfig clientConfig = config.build();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(clientConfig.getDockerHost())
                .sslConfig(clientConfig.getSSLConfig())
                .maxConnections(builder.maxConnections)
                .connectionTimeout(builder.connectTimeout)
                .build();
        this.docker = DockerClientImpl.getInstance(clientConfig, new IdentityEncodingHttpClient(http));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("light-runner-timers").daemon(true).factory());
        this.context = new Context(new ImageResolver(docker, builder.pullMissingImages, builder.pullTimeout),
                new NetworkManager(docker, builder.defaultNetwork), scheduler, builder.instance,
                BindFiles.decide(builder.filesMode, clientConfig.getDockerHost(), builder.filesRoot != null
                        ? builder.filesRoot : defaultFilesRoot(builder.instance)),
                new ImageWorkdirs(docker));
        this.pools = new WarmPools(docker, context, builder.warmPool);
        pools.start();
    }

    private static Path defaultFilesRoot(String instance) {
        return Path.of(System.getProperty("java.io.tmpdir"), "light-runner-files-" + instance);
    }

    /** Whether runs of this runner get their files by bind mount (see {@link FilesMode}). */
    public boolean bindsFiles() {
        return context.bindFiles().enabled();
    }

    /** How runs of this runner get their files, and why, in words: for a start-up log line. */
    public String filesDelivery() {
        return context.bindFiles().description();
    }

    /** A runner for the daemon named by the environment (DOCKER_HOST, else the local socket). */
    public static DockerRunner fromEnvironment() {
        return builder().build();
    }

    public static DockerRunnerBuilder builder() {
        return new DockerRunnerBuilder();
    }

    @Override
    public Execution start(RunSpec spec) {
        return start(spec, () -> true);
    }

    /** Asks {@code mayStart} with the container created and filled, just before its start (or its warm hand-over). */
    @Override
    public Execution start(RunSpec spec, BooleanSupplier mayStart) {
        Objects.requireNonNull(spec, "spec was not specified");
        Objects.requireNonNull(mayStart, "mayStart was not specified");
        if (closed.get()) {
            throw new IllegalStateException("runner is closed");
        }
        PooledContainer pooled = pools.take(spec);
        DockerExecution execution = pooled == null ? new DockerExecution(docker, spec, context)
                : new DockerExecution(docker, spec, context, null, new DockerExecution.Warm(pooled, pools));
        execution.mayStart(mayStart);
        try {
            launch(execution);
        } catch (RuntimeException e) {
            if (pooled != null) {
                pools.dispose(pooled);
            }
            throw e;
        }
        return execution;
    }

    private void launch(DockerExecution execution) {
        String runId = execution.runId();
        if (live.putIfAbsent(runId, execution) != null) {
            throw new RunnerException(ErrorCode.CONFLICT, "run " + runId + " is already running");
        }
        // Before the result completes, so whoever awaited it finds the run no longer live.
        execution.beforeResult(() -> live.remove(runId, execution));
        execution.result().whenComplete((result, failure) -> live.remove(runId, execution));
        Thread.ofVirtual().name("run-" + runId).start(() -> {
            try {
                execution.run();
            } catch (Throwable unexpected) {
                // run() completes the result in its finally; this only guards against a bug there.
                log.error("run {} - lifecycle failed unexpectedly", runId, unexpected);
            }
        });
    }

    @Override
    public Optional<Execution> reattach(Reattach reattach) {
        if (closed.get()) {
            throw new IllegalStateException("runner is closed");
        }
        InspectContainerResponse container;
        try {
            List<Container> found = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(Labels.MANAGED, "true", Labels.RUN_ID, reattach.runId()))
                    .exec();
            if (found.isEmpty()) {
                // A warm run's container carries its pool's labels; it was renamed after the run when claimed.
                String name = "/" + ContainerSettings.containerName(reattach.runId());
                found = docker.listContainersCmd().withShowAll(true)
                        .withLabelFilter(Map.of(Labels.MANAGED, "true", Labels.KIND, Labels.KIND_POOL,
                                Labels.INSTANCE, context.instance()))
                        .exec().stream().filter(c -> c.getNames() != null && List.of(c.getNames()).contains(name))
                        .toList();
            }
            if (found.isEmpty()) {
                return Optional.empty();
            }
            container = docker.inspectContainerCmd(found.getFirst().getId()).exec();
        } catch (NotFoundException gone) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "looking for the container of run " + reattach.runId(), ErrorCode.DOCKER_ERROR);
        }
        RunSpec spec = RunSpec.builder(container.getConfig().getImage())
                .runId(reattach.runId())
                .extraction(reattach.extraction())
                .logSink(reattach.logSink())
                .logCapBytes(reattach.logCapBytes())
                .build();
        Instant startedAt = parseInstant(container.getState().getStartedAt());
        // startedAt stays null for a container that was created but never started: the execution fails it.
        DockerExecution execution = new DockerExecution(docker, spec, context, new DockerExecution.Existing(
                container.getId(), startedAt, reattach.deadline()));
        log.info("run {} - re-attached to container {} ({})", reattach.runId(), container.getId().substring(0, 12),
                container.getState().getStatus());
        launch(execution);
        return Optional.of(execution);
    }

    /** Docker's timestamps (RFC 3339 with nanoseconds); null for absent or the zero time of a never-run container. */
    static Instant parseInstant(String value) {
        if (value == null || value.isBlank() || value.startsWith("0001-01-01")) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The live execution of a run started by this runner, if it is still going. */
    public Optional<Execution> execution(String runId) {
        return Optional.ofNullable(live.get(runId));
    }

    /** Ids of the runs this runner is executing now. */
    public Set<String> liveRunIds() {
        return Set.copyOf(live.keySet());
    }

    @Override
    public EngineInfo info() {
        try {
            Version version = docker.versionCmd().exec();
            Info info = docker.infoCmd().exec();
            return new EngineInfo(version.getVersion(), version.getApiVersion(), info.getOperatingSystem(),
                    info.getArchitecture());
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "asking the daemon for its version", ErrorCode.DAEMON_UNREACHABLE);
        }
    }

    /** Names of the OCI runtimes the daemon has registered (e.g. runc, runsc). */
    public Set<String> runtimes() {
        try {
            Info info = docker.infoCmd().exec();
            Object runtimes = info.getRawValues().get("Runtimes");
            return runtimes instanceof Map<?, ?> map
                    ? map.keySet().stream().map(String::valueOf).collect(Collectors.toSet())
                    : Set.of();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "listing runtimes", ErrorCode.DAEMON_UNREACHABLE);
        }
    }

    @Override
    public NetworkInfo createNetwork(NetworkSpec spec) {
        return context.networks().create(spec);
    }

    @Override
    public List<NetworkInfo> listNetworks() {
        return context.networks().list();
    }

    /** One network of ours by name; {@link ErrorCode#NOT_FOUND} when absent or not ours. */
    public NetworkInfo network(String name) {
        return context.networks().inspect(name);
    }

    @Override
    public void removeNetwork(String name) {
        context.networks().remove(name);
    }

    @Override
    public ReapReport reapOrphans(Duration olderThan, Duration unusedImagesFor) {
        return new Reaper(docker, context.networks().defaultNetwork(), context.images(), context.instance(),
                context.bindFiles())
                .reap(olderThan, unusedImagesFor, tracked());
    }

    /**
     * Run ids of live runs, and names of the pooled containers this runner tracks: the reaper leaves them alone. A
     * live view, asked when the reaper decides, not a snapshot: a pool refill may create a container between the
     * snapshot and the reaper's listing (the server's start-up sweep reaps with no minimum age).
     */
    private Set<String> tracked() {
        return new AbstractSet<>() {
            @Override
            public boolean contains(Object o) {
                return live.containsKey(o) || pools.isTracked(o);
            }

            @Override
            public Iterator<String> iterator() {
                Set<String> now = new HashSet<>(live.keySet());
                now.addAll(pools.tracked());
                return now.iterator();
            }

            @Override
            public int size() {
                return live.size() + pools.tracked().size();
            }
        };
    }

    /** The warm pools (see {@link DockerRunnerBuilder#warmPool}) and how each is doing; empty without pools. */
    @Override
    public List<PoolStats> pools() {
        return pools.stats();
    }

    /**
     * Stops the timers and closes the client. Containers still running are left alone, labelled, for a later
     * {@link #reattach} (a restarting server picks them up); their executions here never complete.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        live.values().forEach(DockerExecution::abandon);
        pools.close();
        // Now: the pending timers (timeouts, stop kills) belong to abandoned runs. shutdown() would keep them, so
        // awaiting termination always took the whole 2 s with a detached run in flight.
        context.scheduler().shutdownNow();
        try {
            if (!context.scheduler().awaitTermination(2, TimeUnit.SECONDS)) {
                log.warn("runner timers did not stop within 2 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            docker.close();
        } catch (IOException e) {
            log.warn("closing the Docker client failed: {}", e.toString());
        }
    }
}
