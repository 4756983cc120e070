package dev.lightrun.server.cli;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.LightRunServer;
import dev.lightrun.server.auth.OpenAccessCheck;
import dev.lightrun.server.config.AccessSettings;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.CallbackSettings;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.config.ServerConfig;
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
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code light-run serve}: every option also comes from a {@code LIGHT_RUN_*} variable; a flag wins over the
 * variable, the variable over the default. Problems at start-up (bad value, port in use, no Docker) are one line on
 * stderr and exit code 1, never a stack trace; no token on a non-loopback address is exit code 2, like a bad flag.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = LightRunCli.Version.class,
        description = "Start the HTTP server.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "${env:LIGHT_RUN_PORT:-3000}",
            description = "TCP port (env LIGHT_RUN_PORT, default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "${env:LIGHT_RUN_HOST:-127.0.0.1}",
            description = "Address to listen on (env LIGHT_RUN_HOST, default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--token", defaultValue = "${env:LIGHT_RUN_TOKEN}",
            description = "Bearer token required on every route but /health (env LIGHT_RUN_TOKEN). Without one the API is open.")
    String token;

    @Option(names = "--body-limit", defaultValue = "${env:LIGHT_RUN_BODY_LIMIT:-10485760}",
            description = "Largest request body in bytes (env LIGHT_RUN_BODY_LIMIT, default ${DEFAULT-VALUE}).")
    long bodyLimit;

    @Option(names = "--data-dir", defaultValue = "${env:LIGHT_RUN_DATA_DIR}",
            description = "Folder of the run store (env LIGHT_RUN_DATA_DIR, default ~/.light-run).")
    Path dataDir;

    @Option(names = "--artifacts-dir", defaultValue = "${env:LIGHT_RUN_ARTIFACTS_DIR}",
            description = "Folder for run artifacts (env LIGHT_RUN_ARTIFACTS_DIR, default <data dir>/artifacts).")
    Path artifactsDir;

    @Option(names = "--shutdown-grace-ms", defaultValue = "${env:LIGHT_RUN_SHUTDOWN_GRACE_MS:-30000}",
            description = "On SIGTERM, how long sync runs may still finish before they are cancelled (env"
                    + " LIGHT_RUN_SHUTDOWN_GRACE_MS, default ${DEFAULT-VALUE}).")
    long shutdownGraceMs;

    @Option(names = "--max-artifacts-bytes", defaultValue = "${env:LIGHT_RUN_MAX_ARTIFACTS_BYTES}",
            description = "Total artifact bytes kept before the oldest runs are evicted (env LIGHT_RUN_MAX_ARTIFACTS_BYTES,"
                    + " default 21474836480 = 20 GiB; an invalid value falls back to the default).")
    String maxArtifactsBytes;

    @Option(names = "--default-timeout-ms", defaultValue = "${env:LIGHT_RUN_DEFAULT_TIMEOUT_MS:-60000}",
            description = "Timeout of a run that sets none (env LIGHT_RUN_DEFAULT_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    long defaultTimeoutMs;

    @Option(names = "--allow-host-network", defaultValue = "${env:LIGHT_RUN_ALLOW_HOST_NETWORK:-false}",
            description = "Let requests use the host network or container:<id> (env LIGHT_RUN_ALLOW_HOST_NETWORK). Unsafe.")
    boolean allowHostNetwork;

    @Option(names = "--max-log-bytes", defaultValue = "${env:LIGHT_RUN_MAX_LOG_BYTES:-10485760}",
            description = "Cap of each run's stored log; past it the end is kept (env LIGHT_RUN_MAX_LOG_BYTES, default"
                    + " ${DEFAULT-VALUE}).")
    long maxLogBytes;

    @Option(names = "--sweep-interval-ms", defaultValue = "${env:LIGHT_RUN_SWEEP_INTERVAL_MS:-300000}",
            description = "How often the maintenance sweep reaps orphans and enforces caps (env"
                    + " LIGHT_RUN_SWEEP_INTERVAL_MS, default ${DEFAULT-VALUE}; 0: only at start-up).")
    long sweepIntervalMs;

    @Option(names = "--build-cache-max-age-ms", defaultValue = "${env:LIGHT_RUN_BUILD_CACHE_MAX_AGE_MS:-604800000}",
            description = "Cached build images unused this long are removed (env LIGHT_RUN_BUILD_CACHE_MAX_AGE_MS,"
                    + " default ${DEFAULT-VALUE} = 7 days).")
    long buildCacheMaxAgeMs;

    @Option(names = "--max-memory", defaultValue = "${env:LIGHT_RUN_MAX_MEMORY:-4096}",
            description = "Most memory (MiB) a run may ask for (env LIGHT_RUN_MAX_MEMORY, default ${DEFAULT-VALUE}).")
    int maxMemory;

    @Option(names = "--max-cpus", defaultValue = "${env:LIGHT_RUN_MAX_CPUS}",
            description = "Most CPUs a run may ask for (env LIGHT_RUN_MAX_CPUS, default: the host's CPU count).")
    Double maxCpus;

    @Option(names = "--max-pids", defaultValue = "${env:LIGHT_RUN_MAX_PIDS:-4096}",
            description = "Most processes a run may ask for (env LIGHT_RUN_MAX_PIDS, default ${DEFAULT-VALUE}).")
    int maxPids;

    @Option(names = "--runtimes", defaultValue = "${env:LIGHT_RUN_RUNTIMES:-}", split = ",",
            description = "OCI runtimes a request may name, comma-separated (env LIGHT_RUN_RUNTIMES, e.g. runc,runsc; default none).")
    java.util.List<String> runtimes;

    @Option(names = "--runtime", defaultValue = "${env:LIGHT_RUN_RUNTIME}",
            description = "Runtime of every run that names none, e.g. runsc to put all runs under gVisor (env LIGHT_RUN_RUNTIME).")
    String runtime;

    @Option(names = "--files-mode", defaultValue = "${env:LIGHT_RUN_FILES_MODE:-auto}",
            description = "How runs get their files: auto (a bind mount when the daemon is local and shares our"
                    + " filesystem and we run as root, else the archive API), archive or bind (env LIGHT_RUN_FILES_MODE,"
                    + " default ${DEFAULT-VALUE}).")
    String filesMode;

    @Option(names = "--allowed-images", defaultValue = "${env:LIGHT_RUN_ALLOWED_IMAGES:-}", split = ",",
            description = "Image globs runs may use, comma-separated, e.g. 'python:3.*,local/*' (env LIGHT_RUN_ALLOWED_IMAGES; default: any).")
    java.util.List<String> allowedImages;

    @Option(names = "--allow-build", defaultValue = "${env:LIGHT_RUN_ALLOW_BUILD:-true}", arity = "1",
            description = "Whether build steps (run) may execute (env LIGHT_RUN_ALLOW_BUILD, default ${DEFAULT-VALUE}).")
    boolean allowBuild;

    @Option(names = "--build-timeout-ms", defaultValue = "${env:LIGHT_RUN_BUILD_TIMEOUT_MS:-600000}",
            description = "Limit of one image build (env LIGHT_RUN_BUILD_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    long buildTimeoutMs;

    @Option(names = "--max-run-artifact-bytes", defaultValue = "${env:LIGHT_RUN_MAX_RUN_ARTIFACT_BYTES:-1073741824}",
            description = "Most bytes one run may extract; over it the run fails (env LIGHT_RUN_MAX_RUN_ARTIFACT_BYTES,"
                    + " default ${DEFAULT-VALUE}).")
    long maxRunArtifactBytes;

    @Option(names = "--max-concurrent", defaultValue = "${env:LIGHT_RUN_MAX_CONCURRENT}",
            description = "Runs at once; more wait in a FIFO queue (env LIGHT_RUN_MAX_CONCURRENT, default: the host's CPU count).")
    Integer maxConcurrent;

    @Option(names = "--max-queue", defaultValue = "${env:LIGHT_RUN_MAX_QUEUE:-100}",
            description = "Runs that may wait for a slot; beyond it 429 (env LIGHT_RUN_MAX_QUEUE, default ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--callback-allow", defaultValue = "${env:LIGHT_RUN_CALLBACK_ALLOW:-}", split = ",",
            description = "CIDRs or host names callbacks may reach although internal, e.g. 10.0.0.0/8,hooks.internal"
                    + " (env LIGHT_RUN_CALLBACK_ALLOW; default none).")
    java.util.List<String> callbackAllow;

    @Option(names = "--callback-max-attempts", defaultValue = "${env:LIGHT_RUN_CALLBACK_MAX_ATTEMPTS:-8}",
            description = "Attempts per callback on network errors, 5xx and 429 (env LIGHT_RUN_CALLBACK_MAX_ATTEMPTS,"
                    + " default ${DEFAULT-VALUE}).")
    int callbackMaxAttempts;

    @Option(names = "--callback-backoff-ms", defaultValue = "${env:LIGHT_RUN_CALLBACK_BACKOFF_MS:-5000}",
            description = "Wait before the second attempt, doubled each time (env LIGHT_RUN_CALLBACK_BACKOFF_MS,"
                    + " default ${DEFAULT-VALUE}).")
    long callbackBackoffMs;

    @Option(names = "--allowed-origins", defaultValue = "${env:LIGHT_RUN_ALLOWED_ORIGINS:-}", split = ",",
            description = "Web origins whose pages may call the API, comma-separated scheme://host[:port], e.g."
                    + " http://localhost:5173 (env LIGHT_RUN_ALLOWED_ORIGINS; default none: only the server's own).")
    java.util.List<String> allowedOrigins;

    @Option(names = "--allowed-hosts", defaultValue = "${env:LIGHT_RUN_ALLOWED_HOSTS:-}", split = ",",
            description = "Host names the Host header may name besides localhost/127.x/[::1] when listening on loopback,"
                    + " comma-separated (env LIGHT_RUN_ALLOWED_HOSTS; default none).")
    java.util.List<String> allowedHosts;

    @Option(names = "--insecure-no-auth", defaultValue = "${env:LIGHT_RUN_INSECURE_NO_AUTH:-false}",
            description = "Start without a token on a non-loopback --host (env LIGHT_RUN_INSECURE_NO_AUTH). Unsafe:"
                    + " anyone who reaches it can start containers.")
    boolean insecureNoAuth;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
        } catch (ConfigException | IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        var open = OpenAccessCheck.refusal(config.host(), config.token() != null, config.access().insecureNoAuth());
        if (open.isPresent()) {
            spec.commandLine().getErr().println("light-run: " + open.get());
            return 2;
        }
        // Checked before starting, so a busy port is this one line, not Javalin's error log and a "stopped" line.
        if (!portIsFree(config.host(), config.port())) {
            return fail(portInUse(config));
        }
        LightRunServer server;
        try {
            server = LightRunServer.startWhenDockerAnswers(config);
        } catch (UncheckedIOException e) {
            return fail("cannot use the data folder " + config.dataDir() + ": " + e.getMessage());
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

    private ServerConfig config() {
        ServerConfig defaults = ServerConfig.defaults();
        long maxBytes = defaults.maxArtifactsBytes();
        if (maxArtifactsBytes != null && !maxArtifactsBytes.isBlank()) {
            try {
                long parsed = Long.parseLong(maxArtifactsBytes.trim());
                if (parsed > 0) {
                    maxBytes = parsed;
                } else {
                    warn("max-artifacts-bytes " + maxArtifactsBytes + " is not positive; using the default " + maxBytes);
                }
            } catch (NumberFormatException e) {
                warn("max-artifacts-bytes '" + maxArtifactsBytes + "' is not a number; using the default " + maxBytes);
            }
        }
        if (defaultTimeoutMs <= 0 || defaultTimeoutMs > 3_600_000) {
            throw new ConfigException("default-timeout-ms must be 1..3600000, was " + defaultTimeoutMs);
        }
        if (sweepIntervalMs < 0 || buildCacheMaxAgeMs < 0) {
            throw new ConfigException("sweep-interval-ms and build-cache-max-age-ms must be >= 0");
        }
        if (shutdownGraceMs < 0) {
            throw new ConfigException("shutdown-grace-ms must be >= 0, was " + shutdownGraceMs);
        }
        Path data = dataDir == null ? defaults.dataDir() : dataDir;
        return new ServerConfig(host, port, token, bodyLimit,
                artifactsDir == null ? data.resolve("artifacts") : artifactsDir, maxBytes,
                Duration.ofMillis(defaultTimeoutMs), defaults.stateLogBytes(), allowHostNetwork,
                new CallbackSettings(defaults.callbacks().timeout(), callbackMaxAttempts,
                        Duration.ofMillis(callbackBackoffMs), callbackAllow == null ? java.util.List.of()
                        : callbackAllow.stream().map(String::trim).filter(a -> !a.isEmpty()).toList()), data, Duration.ofMillis(shutdownGraceMs), maxLogBytes,
                Duration.ofMillis(sweepIntervalMs), Duration.ofMillis(buildCacheMaxAgeMs), policy(), filesMode,
                new AccessSettings(allowedOrigins, allowedHosts, insecureNoAuth));
    }

    private RunPolicy policy() {
        RunPolicy defaults = RunPolicy.defaults();
        if (buildTimeoutMs <= 0) {
            throw new ConfigException("build-timeout-ms must be positive, was " + buildTimeoutMs);
        }
        java.util.Set<String> allowedRuntimes = runtimes == null ? java.util.Set.of()
                : runtimes.stream().map(String::trim).filter(r -> !r.isEmpty()).collect(java.util.stream.Collectors.toSet());
        java.util.List<String> images = allowedImages == null ? java.util.List.of()
                : allowedImages.stream().map(String::trim).filter(i -> !i.isEmpty()).toList();
        return new RunPolicy(defaults.defaultMemoryMiB(), defaults.maxMemoryMiB(), defaults.defaultCpus(),
                defaults.maxCpus(), defaults.defaultPids(), defaults.maxPids(),
                runtime == null || runtime.isBlank() ? null : runtime.trim(), allowedRuntimes, images, allowBuild,
                Duration.ofMillis(buildTimeoutMs), maxRunArtifactBytes,
                maxConcurrent == null ? defaults.maxConcurrent() : maxConcurrent, maxQueue)
                .withMaxima(maxMemory, maxCpus == null ? defaults.maxCpus() : maxCpus, maxPids);
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

    private void warn(String message) {
        spec.commandLine().getErr().println("light-run: warning: " + message);
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
