package dev.lightrun.server.cli;

import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.DockerRunner;
import dev.lightrun.server.LightRunServer;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.ServerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
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
 * stderr and exit code 1, never a stack trace.
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

    @Option(names = "--artifacts-dir", defaultValue = "${env:LIGHT_RUN_ARTIFACTS_DIR}",
            description = "Folder for run artifacts (env LIGHT_RUN_ARTIFACTS_DIR, default ~/.light-run/artifacts).")
    Path artifactsDir;

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
        DockerRunner runner = DockerRunner.fromEnvironment();
        try {
            runner.info();
        } catch (RunnerException e) {
            runner.close();
            return fail("no Docker daemon answers at " + dockerHost() + "; start one (e.g. `sudo dockerd &` or "
                    + "`sudo systemctl start docker`) or set DOCKER_HOST");
        }
        // Checked before starting, so a busy port is this one line, not Javalin's error log and a "stopped" line.
        if (!portIsFree(config.host(), config.port())) {
            runner.close();
            return fail(portInUse(config));
        }
        LightRunServer server;
        try {
            server = LightRunServer.start(config, runner);
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
        return new ServerConfig(host, port, token, bodyLimit,
                artifactsDir == null ? defaults.artifactsDir() : artifactsDir, maxBytes,
                Duration.ofMillis(defaultTimeoutMs), defaults.stateLogBytes(), allowHostNetwork,
                defaults.callbackTimeout());
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
