package dev.lightrun.server.cli;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.FilesMode;
import dev.lightrun.server.LightRunServer;
import dev.lightrun.server.auth.KeyRegistry;
import dev.lightrun.server.auth.KeysFileException;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.Setting;
import dev.lightrun.server.config.ServerConfig;
import dev.lightrun.server.store.StoreException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code light-run serve}: every option also comes from a {@code LIGHT_RUN_*} variable; a flag wins over the
 * variable, the variable over the default ({@link SettingDefaults}; the defaults themselves are
 * {@link dev.lightrun.server.config.Defaults}, and {@code --help} shows each). A bad value, whether given as a flag or
 * a variable, is one line naming both and exit code 2; problems at start-up (port in use, no Docker) are one line and
 * exit code 1; never a stack trace.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = LightRunCli.Version.class,
        defaultValueProvider = SettingDefaults.class, description = "Start the HTTP server.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--port", description = "TCP port; 0 picks a free one (env LIGHT_RUN_PORT, default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", description = "Address to listen on (env LIGHT_RUN_HOST, default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--token",
            description = "Bearer token required on every route but /health (env LIGHT_RUN_TOKEN; default none: the API is open).")
    String token;

    @Option(names = "--keys-file",
            description = "API keys (names, token digests, scopes, quotas; see `light-run keys`), reloaded on SIGHUP and"
                    + " when the file changes (env LIGHT_RUN_KEYS_FILE; default none).")
    Path keysFile;

    @Option(names = "--body-limit",
            description = "Largest request body in bytes (env LIGHT_RUN_BODY_LIMIT, default ${DEFAULT-VALUE}).")
    long bodyLimit;

    @Option(names = "--data-dir", description = "Folder of the run store (env LIGHT_RUN_DATA_DIR, default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--store-url",
            description = "Run store in PostgreSQL, e.g. jdbc:postgresql://db:5432/lightrun?user=lightrun&password=..."
                    + " (env LIGHT_RUN_STORE_URL; default none: SQLite in the data folder). Its password is never logged.")
    String storeUrl;

    @Option(names = "--replica-name",
            description = "This replica's name when several share a PostgreSQL store (env LIGHT_RUN_REPLICA_NAME;"
                    + " default: the data folder's instance id).")
    String replicaName;

    @Option(names = "--replica-url",
            description = "Where the other replicas reach this one's API, e.g. http://10.0.0.5:3000 (env"
                    + " LIGHT_RUN_REPLICA_URL; default http://<host>:<port> as it listens, the machine's name for"
                    + " 0.0.0.0).")
    String replicaUrl;

    @Option(names = "--replica-heartbeat-ms",
            description = "How often a replica writes its heartbeat (env LIGHT_RUN_REPLICA_HEARTBEAT_MS, default"
                    + " ${DEFAULT-VALUE}).")
    long replicaHeartbeatMs;

    @Option(names = "--replica-silence-ms",
            description = "A replica silent this long counts as gone; its unstarted claims go back to the queue (env"
                    + " LIGHT_RUN_REPLICA_SILENCE_MS, default ${DEFAULT-VALUE}).")
    long replicaSilenceMs;

    @Option(names = "--artifacts-dir",
            description = "Folder for run artifacts (env LIGHT_RUN_ARTIFACTS_DIR, default <data dir>/artifacts).")
    Path artifactsDir;

    @Option(names = "--artifacts-url",
            description = "Keep artifacts and finished logs in S3, e.g. s3://bucket/prefix (env LIGHT_RUN_ARTIFACTS_URL;"
                    + " default none: the artifacts folder). Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY;"
                    + " region: AWS_REGION (default us-east-1).")
    String artifactsUrl;

    @Option(names = "--s3-endpoint",
            description = "An S3-compatible store's URL, e.g. http://127.0.0.1:9000 (env LIGHT_RUN_S3_ENDPOINT, else"
                    + " AWS_ENDPOINT_URL_S3; default none: AWS S3).")
    String s3Endpoint;

    @Option(names = "--s3-path-style", arity = "1",
            description = "Bucket in the URL's path, not its host name (env LIGHT_RUN_S3_PATH_STYLE; default true when"
                    + " an endpoint is set).")
    Boolean s3PathStyle;

    @Option(names = "--shutdown-grace-ms",
            description = "On SIGTERM, how long sync runs may still finish before they are cancelled (env"
                    + " LIGHT_RUN_SHUTDOWN_GRACE_MS, default ${DEFAULT-VALUE}).")
    long shutdownGraceMs;

    @Option(names = "--max-artifacts-bytes",
            description = "Total artifact bytes kept before the oldest runs are evicted (env"
                    + " LIGHT_RUN_MAX_ARTIFACTS_BYTES, default ${DEFAULT-VALUE}).")
    long maxArtifactsBytes;

    @Option(names = "--default-timeout-ms",
            description = "Timeout of a run that sets none, at most 3600000 (env LIGHT_RUN_DEFAULT_TIMEOUT_MS, default"
                    + " ${DEFAULT-VALUE}).")
    long defaultTimeoutMs;

    @Option(names = "--allow-host-network",
            description = "Let requests use the host network or container:<id> (env LIGHT_RUN_ALLOW_HOST_NETWORK,"
                    + " default ${DEFAULT-VALUE}). Unsafe.")
    boolean allowHostNetwork;

    @Option(names = "--max-log-bytes",
            description = "Cap of each run's stored log; past it the end is kept (env LIGHT_RUN_MAX_LOG_BYTES, default"
                    + " ${DEFAULT-VALUE}).")
    long maxLogBytes;

    @Option(names = "--sweep-interval-ms",
            description = "How often the maintenance sweep reaps orphans and enforces caps (env"
                    + " LIGHT_RUN_SWEEP_INTERVAL_MS, default ${DEFAULT-VALUE}; 0: only at start-up).")
    long sweepIntervalMs;

    @Option(names = "--build-cache-max-age-ms",
            description = "Cached build images unused this long are removed (env LIGHT_RUN_BUILD_CACHE_MAX_AGE_MS,"
                    + " default ${DEFAULT-VALUE}).")
    long buildCacheMaxAgeMs;

    @Option(names = "--max-memory",
            description = "Most memory (MiB) a run may ask for (env LIGHT_RUN_MAX_MEMORY, default ${DEFAULT-VALUE}).")
    int maxMemory;

    @Option(names = "--max-cpus",
            description = "Most CPUs a run may ask for (env LIGHT_RUN_MAX_CPUS, default ${DEFAULT-VALUE}: the host's"
                    + " CPU count).")
    double maxCpus;

    @Option(names = "--max-pids",
            description = "Most processes a run may ask for (env LIGHT_RUN_MAX_PIDS, default ${DEFAULT-VALUE}).")
    int maxPids;

    @Option(names = "--runtimes", split = ",",
            description = "OCI runtimes a request may name, comma-separated, e.g. runc,runsc (env LIGHT_RUN_RUNTIMES;"
                    + " default none).")
    List<String> runtimes;

    @Option(names = "--runtime",
            description = "Runtime of every run that names none, e.g. runsc to put all runs under gVisor (env"
                    + " LIGHT_RUN_RUNTIME; default none: the daemon's).")
    String runtime;

    @Option(names = "--files-mode", converter = FilesModeConverter.class,
            description = "How runs get their files: auto (a bind mount when the daemon is local and shares our"
                    + " filesystem and we run as root, else the archive API), archive or bind; any case (env"
                    + " LIGHT_RUN_FILES_MODE, default ${DEFAULT-VALUE}).")
    FilesMode filesMode;

    @Option(names = "--warm-pool",
            description = "Warm pools: image=size, comma-separated, each optionally with ;network=none|bridge|<name>,"
                    + " ;runtime=, ;memory= (MiB), ;cpus=, ;pids=, ;user= (numeric), ;readonly=, ;workdir=; unset ones are a"
                    + " plain run's defaults, e.g. 'python:3.12-slim=4,local/busybox=2;network=none' (env"
                    + " LIGHT_RUN_WARM_POOL; default none).")
    String warmPool;

    @Option(names = "--allowed-images", split = ",",
            description = "Image globs runs may use, comma-separated, e.g. 'python:3.*,local/*' (env"
                    + " LIGHT_RUN_ALLOWED_IMAGES; default: any).")
    List<String> allowedImages;

    @Option(names = "--allow-build", arity = "1",
            description = "Whether build steps (run) may execute (env LIGHT_RUN_ALLOW_BUILD, default ${DEFAULT-VALUE}).")
    boolean allowBuild;

    @Option(names = "--build-timeout-ms",
            description = "Limit of one image build (env LIGHT_RUN_BUILD_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    long buildTimeoutMs;

    @Option(names = "--max-run-artifact-bytes",
            description = "Most bytes one run may extract; over it the run fails (env LIGHT_RUN_MAX_RUN_ARTIFACT_BYTES,"
                    + " default ${DEFAULT-VALUE}).")
    long maxRunArtifactBytes;

    @Option(names = "--max-concurrent",
            description = "Runs at once; more wait in a FIFO queue (env LIGHT_RUN_MAX_CONCURRENT, default"
                    + " ${DEFAULT-VALUE}: the host's CPU count).")
    int maxConcurrent;

    @Option(names = "--max-queue",
            description = "Runs that may wait for a slot; beyond it 429 (env LIGHT_RUN_MAX_QUEUE, default ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--callback-allow", split = ",",
            description = "CIDRs or host names callbacks may reach although internal, e.g. 10.0.0.0/8,hooks.internal"
                    + " (env LIGHT_RUN_CALLBACK_ALLOW; default none).")
    List<String> callbackAllow;

    @Option(names = "--callback-max-attempts",
            description = "Attempts per callback on network errors, 5xx and 429 (env LIGHT_RUN_CALLBACK_MAX_ATTEMPTS,"
                    + " default ${DEFAULT-VALUE}).")
    int callbackMaxAttempts;

    @Option(names = "--callback-backoff-ms",
            description = "Wait before the second attempt, doubled each time (env LIGHT_RUN_CALLBACK_BACKOFF_MS,"
                    + " default ${DEFAULT-VALUE}).")
    long callbackBackoffMs;

    @Option(names = "--allowed-origins", split = ",",
            description = "Web origins whose pages may call the API, comma-separated scheme://host[:port], e.g."
                    + " http://localhost:5173 (env LIGHT_RUN_ALLOWED_ORIGINS; default none: only the server's own).")
    List<String> allowedOrigins;

    @Option(names = "--allowed-hosts", split = ",",
            description = "Host names a Host header may name besides localhost, 127.x and [::1] when listening on"
                    + " loopback, comma-separated (env LIGHT_RUN_ALLOWED_HOSTS; default none).")
    List<String> allowedHosts;

    @Option(names = "--insecure-no-auth",
            description = "Start without a token on a non-loopback --host (env LIGHT_RUN_INSECURE_NO_AUTH, default"
                    + " ${DEFAULT-VALUE}). Unsafe: anyone who reaches it can start containers.")
    boolean insecureNoAuth;

    @Option(names = "--metrics-token",
            description = "Bearer token that may read GET /metrics besides an admin, for a scraper (env"
                    + " LIGHT_RUN_METRICS_TOKEN; default none).")
    String metricsToken;

    @Option(names = "--metrics-port",
            description = "Separate port serving only GET /metrics, without authentication, on --host (env"
                    + " LIGHT_RUN_METRICS_PORT; default none; 0 picks a free one).")
    Integer metricsPort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
            KeyRegistry.validate(config.token(), config.keysFile());
        } catch (KeysFileException e) {
            return invalid(new ConfigException(Setting.KEYS_FILE, e.getMessage()));
        } catch (ConfigException e) {
            return invalid(e);
        }
        // Checked before starting, so a busy port is this one line, not Javalin's error log and a "stopped" line.
        if (!portIsFree(config.host(), config.port())) {
            return fail(portInUse(config));
        }
        LightRunServer server;
        try {
            server = LightRunServer.startWhenDockerAnswers(config);
        } catch (ConfigException e) {
            return invalid(e);
        } catch (UncheckedIOException e) {
            return fail("cannot use the data folder " + config.dataDir() + ": " + e.getMessage());
        } catch (StoreException e) {
            return fail(e.getMessage());
        } catch (RunnerException e) {
            if (e.code() == ErrorCode.DAEMON_UNREACHABLE) {
                return fail("no Docker daemon answers at " + dockerHost() + "; start one (e.g. `sudo dockerd &` or "
                        + "`sudo systemctl start docker`) or set DOCKER_HOST");
            }
            return fail("could not start: " + e.getMessage());
        } catch (RuntimeException e) {
            if (hasCause(e, BindException.class)) {
                return fail(portInUse(config));
            }
            return fail("could not start: " + e.getMessage());
        }
        reloadKeysOnHangup(server);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "light-run-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The config of the parsed options; a bad value is a {@link ConfigException} naming its flag and variable. */
    ServerConfig config() {
        return ServerConfig.builder()
                .host(host).port(port).token(token).keysFile(keysFile).bodyLimitBytes(bodyLimit)
                .dataDir(dataDir).storeUrl(storeUrl)
                .replica(replicaName, replicaUrl, Duration.ofMillis(replicaHeartbeatMs), Duration.ofMillis(replicaSilenceMs)).artifactsDir(artifactsDir).maxArtifactsBytes(maxArtifactsBytes)
                .artifactsUrl(artifactsUrl).s3PathStyle(s3PathStyle).s3Region(System.getenv("AWS_REGION"))
                .s3Endpoint(s3Endpoint != null ? s3Endpoint : System.getenv("AWS_ENDPOINT_URL_S3"))
                .defaultTimeout(Duration.ofMillis(defaultTimeoutMs)).allowHostNetworks(allowHostNetwork)
                .shutdownGrace(Duration.ofMillis(shutdownGraceMs)).maxLogBytes(maxLogBytes)
                .sweepInterval(Duration.ofMillis(sweepIntervalMs)).buildCacheMaxAge(Duration.ofMillis(buildCacheMaxAgeMs))
                .filesMode(filesMode)
                .allowedOrigins(allowedOrigins).allowedHosts(allowedHosts).insecureNoAuth(insecureNoAuth)
                .warmPool(warmPool)
                .policy(p -> p.maxMemoryMiB(maxMemory).maxCpus(maxCpus).maxPids(maxPids)
                        .runtimes(runtimes).defaultRuntime(runtime).allowedImages(allowedImages).allowBuild(allowBuild)
                        .buildTimeout(Duration.ofMillis(buildTimeoutMs)).maxRunArtifactBytes(maxRunArtifactBytes)
                        .maxConcurrent(maxConcurrent).maxQueue(maxQueue))
                .callbacks(c -> c.allow(callbackAllow).maxAttempts(callbackMaxAttempts)
                        .firstBackoff(Duration.ofMillis(callbackBackoffMs)))
                .metrics(m -> m.token(metricsToken).port(metricsPort))
                .build();
    }

    /** {@code kill -HUP <pid>} reloads the keys file (the usual signal for "read your configuration again"). */
    private static void reloadKeysOnHangup(LightRunServer server) {
        if (server.config().keysFile() == null) {
            return;
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> server.reloadKeys());
        } catch (IllegalArgumentException e) {
            // No SIGHUP on this platform (Windows): the file is still watched for changes.
        }
    }

    private static String portInUse(ServerConfig config) {
        return "port " + config.port() + " on " + config.host() + " is already in use (or not ours to bind);"
                + " choose another with --port or LIGHT_RUN_PORT";
    }

    /** False only when binding the address fails because it is taken; any other problem is left to the server. */
    private static boolean portIsFree(String host, int port) {
        if (port == 0) {
            return true;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
            return true;
        } catch (BindException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("light-run: " + message);
        return 1;
    }

    /** A bad value: a usage error like a flag picocli cannot parse, hence its exit code. */
    private int invalid(ConfigException e) {
        spec.commandLine().getErr().println("light-run: " + e.getMessage());
        return LightRunCli.EXIT_INVALID;
    }

    /** Reads {@code --files-mode} in any case; another value fails naming the flag and the variable. */
    static final class FilesModeConverter implements CommandLine.ITypeConverter<FilesMode> {
        @Override
        public FilesMode convert(String value) {
            return ServerConfig.parseFilesMode(value);
        }
    }

    private static String dockerHost() {
        String host = System.getenv("DOCKER_HOST");
        return host == null || host.isBlank() ? "unix:///var/run/docker.sock" : host;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
