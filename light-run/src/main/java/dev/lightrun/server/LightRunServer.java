package dev.lightrun.server;

import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.DockerRunner;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.artifacts.LocalArtifactStore;
import dev.lightrun.server.artifacts.s3.S3ArtifactStore;
import dev.lightrun.server.artifacts.s3.S3Clients;
import dev.lightrun.server.artifacts.s3.S3LogArchive;
import dev.lightrun.server.auth.AuditLog;
import dev.lightrun.server.auth.KeyRegistry;
import dev.lightrun.server.auth.KeysFileException;
import dev.lightrun.server.auth.OpenAccessCheck;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.S3Settings;
import dev.lightrun.server.config.ServerConfig;
import dev.lightrun.server.config.Setting;
import dev.lightrun.server.http.HttpApi;
import dev.lightrun.server.http.Json;
import dev.lightrun.server.logs.LogArchive;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.metrics.Telemetry;
import dev.lightrun.server.networks.NetworkService;
import dev.lightrun.server.runs.Maintenance;
import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.runs.RunSpecFactory;
import dev.lightrun.server.store.PostgresCluster;
import dev.lightrun.server.store.PostgresRunStore;
import dev.lightrun.server.store.RunStore;
import dev.lightrun.server.store.SqliteRunStore;
import io.javalin.Javalin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/** Wires the server together (runner, stores, service, HTTP) and owns its lifecycle. */
public final class LightRunServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LightRunServer.class);
    /** How often the keys file is checked for changes (size, modification time, inode). */
    private static final Duration KEYS_POLL_INTERVAL = Duration.ofSeconds(1);

    private final ServerConfig config;
    private final Runner runner;
    private final RunStore store;
    private final CallbackSender callbacks;
    private final CallbackOutbox outbox;
    private final RunService runs;
    private final Maintenance maintenance;
    private final Javalin app;
    private final KeyRegistry keys;
    private final AuditLog audit;
    /** The artifact bucket's client; null without one. */
    private final S3Client s3;
    private final Telemetry telemetry;
    /** What replicas share, when the store is PostgreSQL; null on SQLite. */
    private final PostgresCluster cluster;
    private volatile int metricsPort = -1;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean started;

    private LightRunServer(ServerConfig config, Runner runner, RunStore store) {
        this.config = config;
        this.store = store;
        // First, so a bad keys file fails before anything else is started.
        this.keys = keysOf(config);
        this.telemetry = Telemetry.fromEnvironment(config.policy());
        this.runner = telemetry.instrument(runner);
        this.s3 = config.s3() == null ? null
                : S3Clients.create(config.s3().endpoint(), config.s3().pathStyle(), config.s3().region());
        ArtifactStore artifacts = artifactsOf(config, s3);
        this.callbacks = new CallbackSender(config.callbacks().timeout(), telemetry.traceparents());
        CallbackGuard guard = new CallbackGuard(config.callbacks().allow());
        this.outbox = new CallbackOutbox(store, callbacks, guard, config.callbacks().maxAttempts(),
                config.callbacks().firstBackoff(), telemetry.callbackEvents());
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, config.defaultTimeout(), config.stateLogBytes(),
                config.allowHostNetworks(), config.policy());
        RunLogs logs = new RunLogs(config.dataDir().resolve("logs"), config.maxLogBytes(), Json.MAPPER,
                s3 == null ? LogArchive.NONE : new S3LogArchive(s3, config.s3().location()));
        telemetry.watch(artifacts, logs);
        this.runs = new RunService(this.runner, store, artifacts, outbox, specs, logs, Json.MAPPER,
                config.maxArtifactsBytes(), config.policy().maxConcurrent(), config.policy().maxQueue(),
                keys::quotaOf, telemetry.runEvents());
        this.cluster = store instanceof PostgresRunStore postgres ? postgres.cluster() : null;
        if (cluster != null) {
            String instance = instanceId(config.dataDir());
            cluster.checkNameFree(instance, config.replica().silence());
            runs.joinCluster(cluster, cluster.replica(), instance, hostName(), this::replicaUrl,
                    config.replica().heartbeat(), config.replica().silence(),
                    config.policy().maxConcurrent(), config.policy().maxQueue());
            telemetry.countSharedQueue(runs::queueLength);
            log.info("replica - {} (heartbeat every {} ms, gone after {} ms of silence){}", cluster.replica(),
                    config.replica().heartbeat().toMillis(), config.replica().silence().toMillis(),
                    s3 == null ? "; artifacts and finished logs are in this replica's folder: only it serves its runs'"
                            + " files (set LIGHT_RUN_ARTIFACTS_URL to share them)" : "");
        }
        this.maintenance = new Maintenance(this.runner, runs, config.buildCacheMaxAge());
        this.audit = new AuditLog(config.dataDir());
        this.app = HttpApi.create(config, runs, artifacts, new NetworkService(this.runner), logs, guard, version(),
                keys, audit, telemetry);
    }

    /** The keys in force at start: a keys file that cannot be used is a bad setting (exit 2 from the CLI). */
    private static KeyRegistry keysOf(ServerConfig config) {
        try {
            return new KeyRegistry(config.token(), config.keysFile());
        } catch (KeysFileException e) {
            throw new ConfigException(Setting.KEYS_FILE, e.getMessage());
        }
    }

    /** Starts serving on the configured host and port with a Docker runner from the environment. */
    public static LightRunServer start(ServerConfig config) {
        return start(config, runnerFor(config));
    }

    /**
     * The Docker runner of a server: DOCKER_HOST from the environment, and an instance name kept in the data folder,
     * so that this server's maintenance only ever reaps containers this server (before or after a restart) created;
     * bind-mounted run files live in the data folder too ({@code run-files/}, owner-only).
     */
    public static DockerRunner runnerFor(ServerConfig config) {
        return DockerRunner.builder().instance(instanceId(config.dataDir()))
                .filesMode(config.filesMode())
                .filesRoot(config.dataDir().resolve("run-files"))
                .warmPool(config.warmPool())
                .build();
    }

    private static String instanceId(Path dataDir) {
        Path file = dataDir.resolve("instance-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file).trim();
                if (id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
                    return id;
                }
            }
            Files.createDirectories(dataDir);
            String id = "lr-" + UUID.randomUUID().toString().substring(0, 13);
            Files.writeString(file, id + "\n");
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }

    /** Starts serving; a Docker daemon that does not answer leaves the server up, with /health saying 503. */
    public static LightRunServer start(ServerConfig config, Runner runner) {
        return start(config, runner, openStore(config));
    }

    /** The name of the machine, as {@code GET /replicas} shows it. */
    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Where the other replicas reach this one: the configured address, else the address it listens on (the machine's
     * name for a wildcard address); null until it listens.
     */
    private String replicaUrl() {
        if (config.replica().url() != null) {
            return config.replica().url();
        }
        if (!started) {
            return null;
        }
        String host = config.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = hostName();
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port();
    }

    /**
     * The artifact store the config names: the bucket of {@link ServerConfig#s3()} (which also archives finished
     * logs), staging extractions in the artifacts folder, when set; else the artifacts folder itself.
     */
    private static ArtifactStore artifactsOf(ServerConfig config, S3Client client) {
        S3Settings s3 = config.s3();
        if (s3 == null) {
            return new LocalArtifactStore(config.artifactsDir());
        }
        log.info("artifacts - {} (endpoint {}, path-style {}, region {}); staging in {}", s3.location(),
                s3.endpoint() == null ? "AWS" : s3.endpoint(), s3.pathStyle(), s3.region(), config.artifactsDir());
        return new S3ArtifactStore(client, s3.location(), config.artifactsDir(), S3ArtifactStore.DEFAULT_PART_BYTES);
    }

    /**
     * The run store the config names: PostgreSQL at {@link ServerConfig#storeUrl()} when set, else SQLite in the data
     * folder. Either is migrated to this version's schema before it is returned.
     */
    static RunStore openStore(ServerConfig config) {
        if (config.storeUrl() == null) {
            return new SqliteRunStore(config.dataDir());
        }
        String replica = config.replica().name() != null ? config.replica().name() : instanceId(config.dataDir());
        return new PostgresRunStore(config.storeUrl(), replica);
    }

    /**
     * Starts serving with {@link #runnerFor the server's Docker runner}, only if Docker answers, so that recovery never
     * judges runs against a daemon that is away (what {@code light-run serve} does).
     *
     * @throws RunnerException with {@link dev.lightrun.runner.ErrorCode#DAEMON_UNREACHABLE} when Docker does not answer
     * @throws java.io.UncheckedIOException when the data folder's instance name cannot be read or written
     */
    public static LightRunServer startWhenDockerAnswers(ServerConfig config) {
        // Building the Docker client and its first call (most of docker-java and its JSON model get loaded) on a
        // virtual thread, opening the store (SQLite's native library or PostgreSQL's pool, migrations) on this one: neither needs
        // the other, and recovery, which needs both, starts when both are done. Docker's answer is bounded by the
        // client's own timeouts.
        try (ExecutorService startup = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("startup-docker").factory())) {
            Future<DockerRunner> docker = startup.submit(() -> {
                DockerRunner runner = runnerFor(config);
                try {
                    runner.info();
                    return runner;
                } catch (RuntimeException e) {
                    runner.close();
                    throw e;
                }
            });
            RunStore store;
            try {
                store = openStore(config);
            } catch (RuntimeException e) {
                awaitQuietly(docker).ifPresent(DockerRunner::close);
                throw e;
            }
            try {
                return start(config, docker.get(), store);
            } catch (ExecutionException e) {
                store.close();
                throw e.getCause() instanceof RuntimeException cause ? cause
                        : new IllegalStateException("connecting to Docker failed", e.getCause());
            } catch (InterruptedException e) {
                store.close();
                awaitQuietly(docker).ifPresent(DockerRunner::close);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Docker to answer", e);
            }
        }
    }

    private static Optional<DockerRunner> awaitQuietly(Future<DockerRunner> docker) {
        try {
            return Optional.of(docker.get());
        } catch (ExecutionException | CancellationException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static LightRunServer start(ServerConfig config, Runner runner, RunStore store) {
        store.logOpened();
        LightRunServer server;
        try {
            server = new LightRunServer(config, runner, store);
        } catch (RuntimeException e) {
            store.close();
            runner.close();
            throw e;
        }
        try {
            server.runs.recover();
            server.maintenance.sweep(Duration.ZERO);
            server.maintenance.schedule(config.sweepInterval());
            server.keys.watch(KEYS_POLL_INTERVAL);
            server.app.start();
            server.started = true;
            if (config.metrics().port() != null) {
                server.metricsPort = server.telemetry.servePort(config.host(), config.metrics().port());
            }
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        log.info("light-run {} - listening on http://{}:{} (artifacts in {}; run files {})", version(), config.host(),
                server.port(), config.artifactsDir(),
                runner instanceof DockerRunner docker ? docker.filesDelivery() : "as the runner delivers them");
        OpenAccessCheck.warning(config.host(), server.port(), config.authEnabled()).ifPresent(log::warn);
        return server;
    }

    /** Reads the keys file again (SIGHUP); a file that cannot be used is logged and the previous keys stay. */
    public boolean reloadKeys() {
        return keys.reload();
    }

    public int port() {
        return app.port();
    }

    /** The port of the separate metrics listener; -1 when there is none ({@code LIGHT_RUN_METRICS_PORT} unset). */
    public int metricsPort() {
        return metricsPort;
    }

    public ServerConfig config() {
        return config;
    }

    /** Registered routes, for the OpenAPI document's test: "METHOD path" with Javalin's path syntax. */
    public List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(e -> e.endpoint.method.isHttpMethod())
                .map(e -> e.endpoint.method.name() + " " + e.endpoint.path)
                .toList();
    }

    /**
     * Graceful stop: refuse new runs, let sync runs finish within the grace period (then cancel them and record it),
     * stop HTTP, and leave detached runs running for the next start to re-attach. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        maintenance.close();
        keys.close();
        runs.shutdown(config.shutdownGrace());
        app.stop();
        if (cluster != null) {
            cluster.close();
        }
        audit.close();
        runner.close();
        outbox.close();
        callbacks.close();
        // After the runs and callbacks: their last spans are flushed.
        telemetry.close();
        store.close();
        if (s3 != null) {
            // After the runs: a finishing run uploads its files and log on its way out.
            s3.close();
        }
        log.info("light-run - stopped");
    }

    /** The version Maven wrote into the jar. */
    public static String version() {
        try (InputStream in = LightRunServer.class.getResourceAsStream("/light-run-version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
