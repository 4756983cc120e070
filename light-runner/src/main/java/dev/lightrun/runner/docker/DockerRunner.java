package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
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
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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

    private DockerRunner(Builder builder) {
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

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Execution start(RunSpec spec) {
        Objects.requireNonNull(spec, "spec was not specified");
        if (closed.get()) {
            throw new IllegalStateException("runner is closed");
        }
        PooledContainer pooled = pools.take(spec);
        DockerExecution execution = pooled == null ? new DockerExecution(docker, spec, context)
                : new DockerExecution(docker, spec, context, null, new DockerExecution.Warm(pooled, pools));
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
    public java.util.Optional<Execution> reattach(dev.lightrun.runner.Reattach reattach) {
        if (closed.get()) {
            throw new IllegalStateException("runner is closed");
        }
        com.github.dockerjava.api.command.InspectContainerResponse container;
        try {
            List<com.github.dockerjava.api.model.Container> found = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(java.util.Map.of(Labels.MANAGED, "true", Labels.RUN_ID, reattach.runId()))
                    .exec();
            if (found.isEmpty()) {
                // A warm run's container carries its pool's labels; it was renamed after the run when claimed.
                String name = "/" + ContainerSettings.containerName(reattach.runId());
                found = docker.listContainersCmd().withShowAll(true)
                        .withLabelFilter(java.util.Map.of(Labels.MANAGED, "true", Labels.KIND, Labels.KIND_POOL,
                                Labels.INSTANCE, context.instance()))
                        .exec().stream().filter(c -> c.getNames() != null && List.of(c.getNames()).contains(name))
                        .toList();
            }
            if (found.isEmpty()) {
                return java.util.Optional.empty();
            }
            container = docker.inspectContainerCmd(found.getFirst().getId()).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
            return java.util.Optional.empty();
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
        return java.util.Optional.of(execution);
    }

    /** Docker's timestamps (RFC 3339 with nanoseconds); null for absent or the zero time of a never-run container. */
    static Instant parseInstant(String value) {
        if (value == null || value.isBlank() || value.startsWith("0001-01-01")) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(value).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /** The live execution of a run started by this runner, if it is still going. */
    public java.util.Optional<Execution> execution(String runId) {
        return java.util.Optional.ofNullable(live.get(runId));
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
            return runtimes instanceof java.util.Map<?, ?> map
                    ? map.keySet().stream().map(String::valueOf).collect(java.util.stream.Collectors.toSet())
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
        return new java.util.AbstractSet<>() {
            @Override
            public boolean contains(Object o) {
                return live.containsKey(o) || pools.isTracked(o);
            }

            @Override
            public java.util.Iterator<String> iterator() {
                Set<String> now = new java.util.HashSet<>(live.keySet());
                now.addAll(pools.tracked());
                return now.iterator();
            }

            @Override
            public int size() {
                return live.size() + pools.tracked().size();
            }
        };
    }

    /** The warm pools (see {@link Builder#warmPool}) and how each is doing; empty without pools. */
    @Override
    public List<dev.lightrun.runner.PoolStats> pools() {
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

    /** Options of a {@link DockerRunner}; every one has a default. */
    public static final class Builder {
        private URI dockerHost;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private int maxConnections = 512;
        private boolean pullMissingImages = true;
        private Duration pullTimeout = Duration.ofMinutes(5);
        private String defaultNetwork = "light-run-isolated";
        private String instance = "default";
        private FilesMode filesMode = FilesMode.AUTO;
        private Path filesRoot;
        private List<dev.lightrun.runner.PoolProfile> warmPool = List.of();

        private Builder() {
        }

        /**
         * Warm pools (default none): for each profile, that many containers are created and started ahead, with
         * exactly a cold run's hardening, each idle on a waiting shell with its own files folder. A run whose spec
         * matches a profile ({@link dev.lightrun.runner.PoolProfile#mismatch}) takes one, gets its files, env, stdin
         * and entrypoint delivered through that folder, and runs there as the container's main process; the
         * container is removed afterwards, never reused, and the pool refills in the background. Needs files by bind
         * mount ({@link FilesMode}); without it the pools stay empty (runs start cold) and {@link #pools()} says why.
         * Pooled containers carry the kind label {@code pool}; a runner of the same instance removes those a previous
         * process left and never hands them out. Closing the runner empties the pools.
         */
        public Builder warmPool(List<dev.lightrun.runner.PoolProfile> profiles) {
            List<dev.lightrun.runner.PoolProfile> copy = List.copyOf(profiles);
            if (copy.stream().map(dev.lightrun.runner.PoolProfile::image).distinct().count() != copy.size()) {
                throw new IllegalArgumentException("warmPool: each image may have one pool");
            }
            this.warmPool = copy;
            return this;
        }

        public Builder warmPool(dev.lightrun.runner.PoolProfile... profiles) {
            return warmPool(List.of(profiles));
        }

        /**
         * Name of this runner instance, put on every container it creates (default {@code default}).
         * {@link #reapOrphans} only removes containers of its own instance, so give each process that shares a daemon
         * its own (a server keeps one in its data folder).
         */
        public Builder instance(String value) {
            if (value == null || !value.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
                throw new IllegalArgumentException("instance must be 1..64 of [A-Za-z0-9_.-], was '" + value + "'");
            }
            this.instance = value;
            return this;
        }

        /** The daemon to use, e.g. {@code unix:///var/run/docker.sock} or {@code tcp://host:2376}; default DOCKER_HOST. */
        public Builder dockerHost(URI value) {
            this.dockerHost = value;
            return this;
        }

        /** How long to wait for a connection to the daemon (default 3 s), so a dead daemon is reported quickly. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = Objects.requireNonNull(value, "connectTimeout");
            return this;
        }

        /** Connections to the daemon at once (default 512: each run holds two while it runs, for wait and logs). */
        public Builder maxConnections(int value) {
            if (value < 4) {
                throw new IllegalArgumentException("maxConnections must be >= 4, was " + value);
            }
            this.maxConnections = value;
            return this;
        }

        /** Pull an image that is not present locally (default true); when false a missing image fails at once. */
        public Builder pullMissingImages(boolean value) {
            this.pullMissingImages = value;
            return this;
        }

        public Builder pullTimeout(Duration value) {
            this.pullTimeout = Objects.requireNonNull(value, "pullTimeout");
            return this;
        }

        /** Name of the isolated bridge network runs join by default (default {@code light-run-isolated}). */
        public Builder defaultNetwork(String value) {
            this.defaultNetwork = Objects.requireNonNull(value, "defaultNetwork");
            return this;
        }

        /** How runs get their files (default {@link FilesMode#AUTO}: bind mount where that is known to be safe). */
        public Builder filesMode(FilesMode value) {
            this.filesMode = Objects.requireNonNull(value, "filesMode");
            return this;
        }

        /**
         * Host folder holding each run's bind-mounted files folder (default {@code <tmpdir>/light-runner-files-<instance>});
         * made owner-only (0700). Only used when files are bind-mounted.
         */
        public Builder filesRoot(Path value) {
            this.filesRoot = Objects.requireNonNull(value, "filesRoot");
            return this;
        }

        public DockerRunner build() {
            return new DockerRunner(this);
        }
    }
}
