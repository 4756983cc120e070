package dev.lightrun.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The server's settings, resolved once at start-up (flags, then {@code LIGHT_RUN_*} environment variables, then
 * defaults) and frozen. {@link #toString()} masks the token.
 *
 * @param host               address to listen on (default 127.0.0.1: not exposed until the operator says so)
 * @param port               TCP port (default 3000; 0 picks a free one)
 * @param token              bearer token required on every route but /health; null runs open (with a warning)
 * @param bodyLimitBytes     largest accepted request body (default 10 MiB); larger is 413
 * @param artifactsDir       where each run's files go, one folder per run id
 * @param maxArtifactsBytes  total artifact bytes kept before the oldest finished runs are evicted (default 20 GiB)
 * @param defaultTimeout     timeout of a run that does not set one (default 60 s)
 * @param stateLogBytes      how much of the end of stdout and of stderr a run's state keeps (default 64 KiB each)
 * @param allowHostNetworks  whether requests may use the host network or another container's (default false)
 * @param callbacks          callback delivery: timeout, retries, internal addresses allowed
 * @param dataDir            where the run store lives (default ~/.light-run)
 * @param shutdownGrace      how long a SIGTERM waits for sync runs before cancelling them (default 30 s)
 * @param maxLogBytes        cap of each run's stored log; past it the end is kept (default 10 MiB)
 * @param sweepInterval      how often the maintenance sweep runs (default 5 min; zero: only at start-up)
 * @param buildCacheMaxAge   cached build images unused this long are removed by the sweep (default 7 days)
 * @param policy             what runs may ask for: resources, runtimes, images, builds, artifact sizes
 * @param filesMode          how runs get their files: auto (bind mount where safe), archive or bind (default auto)
 * @param access             browser origins and host names allowed, and whether an open server may listen beyond loopback
 */
public record ServerConfig(String host, int port, String token, long bodyLimitBytes, Path artifactsDir,
                           long maxArtifactsBytes, Duration defaultTimeout, long stateLogBytes,
                           boolean allowHostNetworks, CallbackSettings callbacks, Path dataDir,
                           Duration shutdownGrace, long maxLogBytes, Duration sweepInterval,
                           Duration buildCacheMaxAge, RunPolicy policy, String filesMode,
                           AccessSettings access) {
    public static final int DEFAULT_PORT = 3000;
    public static final long DEFAULT_BODY_LIMIT = 10L * 1024 * 1024;
    public static final long DEFAULT_MAX_ARTIFACTS_BYTES = 20L * 1024 * 1024 * 1024;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final long DEFAULT_STATE_LOG_BYTES = 64L * 1024;
    public static final long DEFAULT_MAX_LOG_BYTES = 10L * 1024 * 1024;

    public ServerConfig {
        Objects.requireNonNull(host, "host was not specified");
        if (port < 0 || port > 65535) {
            throw new ConfigException("port must be 0..65535, was " + port);
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (bodyLimitBytes < 1024) {
            throw new ConfigException("body-limit must be at least 1024 bytes, was " + bodyLimitBytes);
        }
        Objects.requireNonNull(artifactsDir, "artifactsDir was not specified");
        if (maxArtifactsBytes <= 0) {
            throw new ConfigException("max-artifacts-bytes must be positive, was " + maxArtifactsBytes);
        }
        Objects.requireNonNull(defaultTimeout, "defaultTimeout was not specified");
        Objects.requireNonNull(callbacks, "callbacks was not specified");
        Objects.requireNonNull(dataDir, "dataDir was not specified");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace was not specified");
        Objects.requireNonNull(sweepInterval, "sweepInterval was not specified");
        Objects.requireNonNull(buildCacheMaxAge, "buildCacheMaxAge was not specified");
        Objects.requireNonNull(policy, "policy was not specified");
        filesMode = filesMode == null ? "auto" : filesMode.trim().toLowerCase(java.util.Locale.ROOT);
        if (!java.util.Set.of("auto", "archive", "bind").contains(filesMode)) {
            throw new ConfigException("files-mode must be auto, archive or bind, was " + filesMode);
        }
        access = access == null ? AccessSettings.defaults() : access;
        if (maxLogBytes < 4096) {
            throw new ConfigException("max-log-bytes must be at least 4096, was " + maxLogBytes);
        }
    }

    /** Defaults for everything: what {@code light-run serve} uses with no flags and no environment. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", DEFAULT_PORT, null, DEFAULT_BODY_LIMIT, defaultArtifactsDir(),
                DEFAULT_MAX_ARTIFACTS_BYTES, DEFAULT_TIMEOUT, DEFAULT_STATE_LOG_BYTES, false, CallbackSettings.defaults(),
                defaultDataDir(), Duration.ofSeconds(30), DEFAULT_MAX_LOG_BYTES, Duration.ofMinutes(5),
                Duration.ofDays(7), RunPolicy.defaults(), "auto", AccessSettings.defaults());
    }

    public static Path defaultDataDir() {
        return Path.of(System.getProperty("user.home"), ".light-run");
    }

    public static Path defaultArtifactsDir() {
        return defaultDataDir().resolve("artifacts");
    }

    public ServerConfig withPort(int value) {
        return edit(copy -> copy.port = value);
    }

    public ServerConfig withToken(String value) {
        return edit(copy -> copy.token = value);
    }

    public ServerConfig withArtifactsDir(Path value) {
        return edit(copy -> copy.artifactsDir = value);
    }

    public ServerConfig withMaxArtifactsBytes(long value) {
        return edit(copy -> copy.maxArtifactsBytes = value);
    }

    public ServerConfig withBodyLimitBytes(long value) {
        return edit(copy -> copy.bodyLimitBytes = value);
    }

    public ServerConfig withAllowHostNetworks(boolean value) {
        return edit(copy -> copy.allowHostNetworks = value);
    }

    public ServerConfig withDataDir(Path value) {
        return edit(copy -> copy.dataDir = value);
    }

    public ServerConfig withPolicy(RunPolicy value) {
        return edit(copy -> copy.policy = value);
    }

    public ServerConfig withFilesMode(String value) {
        return edit(copy -> copy.filesMode = value);
    }

    public ServerConfig withHost(String value) {
        return edit(copy -> copy.host = value);
    }

    public ServerConfig withAccess(AccessSettings value) {
        return edit(copy -> copy.access = value);
    }

    public ServerConfig withCallbacks(CallbackSettings value) {
        return edit(copy -> copy.callbacks = value);
    }

    /** A copy of this config with one change, validated again like any other. */
    private ServerConfig edit(java.util.function.Consumer<Editable> change) {
        Editable copy = new Editable(this);
        change.accept(copy);
        return copy.build();
    }

    /** The fields of a config, mutable for the moment of one edit. */
    private static final class Editable {
        private String host;
        private int port;
        private String token;
        private long bodyLimitBytes;
        private Path artifactsDir;
        private long maxArtifactsBytes;
        private Duration defaultTimeout;
        private long stateLogBytes;
        private boolean allowHostNetworks;
        private CallbackSettings callbacks;
        private Path dataDir;
        private Duration shutdownGrace;
        private long maxLogBytes;
        private Duration sweepInterval;
        private Duration buildCacheMaxAge;
        private RunPolicy policy;
        private String filesMode;
        private AccessSettings access;

        Editable(ServerConfig config) {
            host = config.host;
            port = config.port;
            token = config.token;
            bodyLimitBytes = config.bodyLimitBytes;
            artifactsDir = config.artifactsDir;
            maxArtifactsBytes = config.maxArtifactsBytes;
            defaultTimeout = config.defaultTimeout;
            stateLogBytes = config.stateLogBytes;
            allowHostNetworks = config.allowHostNetworks;
            callbacks = config.callbacks;
            dataDir = config.dataDir;
            shutdownGrace = config.shutdownGrace;
            maxLogBytes = config.maxLogBytes;
            sweepInterval = config.sweepInterval;
            buildCacheMaxAge = config.buildCacheMaxAge;
            policy = config.policy;
            filesMode = config.filesMode;
            access = config.access;
        }

        ServerConfig build() {
            return new ServerConfig(host, port, token, bodyLimitBytes, artifactsDir, maxArtifactsBytes, defaultTimeout,
                    stateLogBytes, allowHostNetworks, callbacks, dataDir, shutdownGrace, maxLogBytes, sweepInterval,
                    buildCacheMaxAge, policy, filesMode, access);
        }
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", token=" + (token == null ? "none" : "<masked>")
                + ", bodyLimitBytes=" + bodyLimitBytes + ", artifactsDir=" + artifactsDir + ", maxArtifactsBytes="
                + maxArtifactsBytes + ", defaultTimeout=" + defaultTimeout + ", stateLogBytes=" + stateLogBytes
                + ", allowHostNetworks=" + allowHostNetworks + ", callbacks=" + callbacks + ", dataDir=" + dataDir
                + ", shutdownGrace=" + shutdownGrace + ", maxLogBytes=" + maxLogBytes + ", sweepInterval=" + sweepInterval
                + ", buildCacheMaxAge=" + buildCacheMaxAge + ", policy=" + policy + ", filesMode=" + filesMode + ", access=" + access + "]";
    }
}
