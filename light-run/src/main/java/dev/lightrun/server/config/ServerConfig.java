package dev.lightrun.server.config;

import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.docker.FilesMode;
import dev.lightrun.server.auth.BrowserRules;
import dev.lightrun.server.auth.OpenAccessCheck;
import dev.lightrun.server.auth.Origins;
import dev.lightrun.server.store.StoreUrls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The server's settings, resolved once at start-up (flags, then {@code LIGHT_RUN_*} environment variables, then
 * {@link Defaults}) and frozen. Built with {@link #builder()} (or {@link #toBuilder()} from an existing config); a bad
 * value is a {@link ConfigException} naming the setting. {@link #toString()} masks the token.
 *
 * @param host               address to listen on (default {@link Defaults#HOST}: not exposed until the operator says so)
 * @param port               TCP port (default {@link Defaults#PORT}; 0 picks a free one)
 * @param token              bearer token required on every route but /health; null runs open (with a warning)
 * @param bodyLimitBytes     largest accepted request body (default 10 MiB); larger is 413
 * @param artifactsDir       where each run's files go, one folder per run id (default {@code <dataDir>/artifacts})
 * @param maxArtifactsBytes  total artifact bytes kept before the oldest finished runs are evicted (default 20 GiB)
 * @param defaultTimeout     timeout of a run that does not set one (default 60 s, at most 1 h)
 * @param stateLogBytes      how much of the end of stdout and of stderr a run's state keeps (default 64 KiB each)
 * @param allowHostNetworks  whether requests may use the host network or another container's (default false)
 * @param callbacks          callback delivery: timeout, retries, internal addresses allowed
 * @param dataDir            where the SQLite run store, logs and the instance name live (default ~/.light-run)
 * @param storeUrl           a {@code jdbc:postgresql:} URL of the run store, which several servers may share; null (the
 *                           default) keeps the run store in SQLite in {@code dataDir}. Its password is a secret
 * @param shutdownGrace      how long a SIGTERM waits for sync runs before cancelling them (default 30 s)
 * @param maxLogBytes        cap of each run's stored log; past it the end is kept (default 10 MiB)
 * @param sweepInterval      how often the maintenance sweep runs (default 5 min; zero: only at start-up)
 * @param buildCacheMaxAge   cached build images unused this long are removed by the sweep (default 7 days)
 * @param policy             what runs may ask for: resources, runtimes, images, builds, artifact sizes
 * @param filesMode          how runs get their files (default {@link FilesMode#AUTO}: a bind mount where safe)
 * @param allowedOrigins     web origins ({@code scheme://host[:port]}) whose pages may call the API besides the
 *                           server's own (default none)
 * @param allowedHosts       host names a {@code Host} header may name besides loopback ones, when listening on
 *                           loopback (default none)
 * @param insecureNoAuth     whether a server without a token may listen on a non-loopback address (default false)
 * @param keysFile           the API keys file (names, token digests, scopes, quotas), reloaded when it changes; null
 *                           for none (then only {@code token}, if set, is a key)
 * @param metrics            who may scrape {@code GET /metrics} and where (default: an admin, on the API port)
 * @param s3                 null (the default): artifacts in {@code artifactsDir} and logs in {@code dataDir}; else
 *                           the bucket that holds artifacts and finished logs ({@code artifactsDir} then stages
 *                           extractions before upload)
 * @param warmPool           warm pools, {@code image=size[;setting=value...]} comma-separated (default none); a pool's
 *                           unset settings are a run's defaults under {@code policy}, so a plain run of its image matches
 */
public record ServerConfig(String host, int port, String token, long bodyLimitBytes, Path artifactsDir,
                           long maxArtifactsBytes, Duration defaultTimeout, long stateLogBytes,
                           boolean allowHostNetworks, CallbackSettings callbacks, Path dataDir,
                           String storeUrl, Duration shutdownGrace, long maxLogBytes, Duration sweepInterval,
                           Duration buildCacheMaxAge, RunPolicy policy, FilesMode filesMode,
                           List<String> allowedOrigins, List<String> allowedHosts, boolean insecureNoAuth,
                           Path keysFile, MetricsSettings metrics, List<PoolProfile> warmPool, S3Settings s3,
                           ReplicaSettings replica) {
    /** Below this a request's JSON with a small script does not fit. */
    private static final long MIN_BODY_LIMIT_BYTES = 1024;
    /** Below this a stored log cannot hold a useful tail. */
    private static final long MIN_LOG_BYTES = 4096;

    public ServerConfig {
        Objects.requireNonNull(host, "host was not specified");
        if (host.isBlank()) {
            throw new ConfigException(Setting.HOST, "must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(Setting.PORT, "must be 0..65535, was " + port);
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (bodyLimitBytes < MIN_BODY_LIMIT_BYTES) {
            throw new ConfigException(Setting.BODY_LIMIT, "must be >= " + MIN_BODY_LIMIT_BYTES + " (bytes), was "
                    + bodyLimitBytes);
        }
        Objects.requireNonNull(artifactsDir, "artifactsDir was not specified");
        if (maxArtifactsBytes <= 0) {
            throw new ConfigException(Setting.MAX_ARTIFACTS_BYTES, "must be positive, was " + maxArtifactsBytes);
        }
        Objects.requireNonNull(defaultTimeout, "defaultTimeout was not specified");
        if (!defaultTimeout.isPositive() || defaultTimeout.compareTo(Defaults.MAX_RUN_TIMEOUT) > 0) {
            throw new ConfigException(Setting.DEFAULT_TIMEOUT_MS, "must be 1.." + Defaults.MAX_RUN_TIMEOUT.toMillis()
                    + " (ms), was " + defaultTimeout.toMillis());
        }
        if (stateLogBytes <= 0) {
            throw new ConfigException("stateLogBytes", "must be positive, was " + stateLogBytes);
        }
        Objects.requireNonNull(callbacks, "callbacks was not specified");
        Objects.requireNonNull(dataDir, "dataDir was not specified");
        storeUrl = storeUrl == null || storeUrl.isBlank() ? null : storeUrl.strip();
        if (storeUrl != null && !StoreUrls.isPostgres(storeUrl)) {
            // Masked: a URL in the wrong form may still hold the password.
            throw new ConfigException(Setting.STORE_URL, "must be a " + StoreUrls.POSTGRES_PREFIX
                    + "//host:port/database?user=...&password=... URL, was '" + StoreUrls.masked(storeUrl) + "'");
        }
        Objects.requireNonNull(shutdownGrace, "shutdownGrace was not specified");
        if (shutdownGrace.isNegative()) {
            throw new ConfigException(Setting.SHUTDOWN_GRACE_MS, "must be >= 0, was " + shutdownGrace.toMillis());
        }
        if (maxLogBytes < MIN_LOG_BYTES) {
            throw new ConfigException(Setting.MAX_LOG_BYTES, "must be >= " + MIN_LOG_BYTES + " (bytes), was "
                    + maxLogBytes);
        }
        Objects.requireNonNull(sweepInterval, "sweepInterval was not specified");
        if (sweepInterval.isNegative()) {
            throw new ConfigException(Setting.SWEEP_INTERVAL_MS, "must be >= 0, was " + sweepInterval.toMillis());
        }
        Objects.requireNonNull(buildCacheMaxAge, "buildCacheMaxAge was not specified");
        if (buildCacheMaxAge.isNegative()) {
            throw new ConfigException(Setting.BUILD_CACHE_MAX_AGE_MS, "must be >= 0, was "
                    + buildCacheMaxAge.toMillis());
        }
        Objects.requireNonNull(policy, "policy was not specified");
        Objects.requireNonNull(filesMode, "filesMode was not specified");
        allowedOrigins = trimmed(allowedOrigins);
        for (String origin : allowedOrigins) {
            try {
                Origins.parse(origin);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(Setting.ALLOWED_ORIGINS, e.getMessage());
            }
        }
        allowedHosts = trimmed(allowedHosts);
        for (String allowed : allowedHosts) {
            try {
                BrowserRules.allowedHost(allowed);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(Setting.ALLOWED_HOSTS, e.getMessage());
            }
        }
        if (keysFile != null && !Files.isRegularFile(keysFile)) {
            throw new ConfigException(Setting.KEYS_FILE, "no such file: " + keysFile
                    + " (create one with `light-run keys add NAME --scopes run,read --file " + keysFile + "`)");
        }
        Objects.requireNonNull(metrics, "metrics was not specified");
        warmPool = List.copyOf(warmPool);
        String open = OpenAccessCheck.refusal(host, token != null || keysFile != null, insecureNoAuth).orElse(null);
        if (open != null) {
            throw new ConfigException(Setting.TOKEN, open);
        }
    }

    /** Whether requests need a key: a token or a keys file is set. */
    public boolean authEnabled() {
        return token != null || keysFile != null;
    }

    private static List<String> trimmed(List<String> values) {
        return values == null ? List.of() : values.stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    /** Everything at its default: what {@code light-run serve} uses with no flags and no environment. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config (its policy and callbacks too), to build a changed one. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * A files mode as operators write it, in any case ({@code auto}, {@code ARCHIVE}, {@code Bind}).
     *
     * @throws ConfigException naming {@code --files-mode} for any other value
     */
    public static FilesMode parseFilesMode(String text) {
        String name = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(FilesMode.values()).filter(mode -> mode.name().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException(Setting.FILES_MODE,
                        "must be auto, archive or bind, was '" + text + "'"));
    }

    /**
     * Named setters starting from {@link Defaults}; {@link #build()} validates every value and returns the frozen
     * config. Not thread-safe: build a config on one thread, then share the config.
     */
    public static final class Builder {
        private String host = Defaults.HOST;
        private int port = Defaults.PORT;
        private String token;
        private long bodyLimitBytes = Defaults.BODY_LIMIT_BYTES;
        private Path dataDir = Defaults.dataDir();
        private String storeUrl;
        private Path artifactsDir;
        private String artifactsUrl;
        private String s3Endpoint;
        private Boolean s3PathStyle;
        private String s3Region;
        private long maxArtifactsBytes = Defaults.MAX_ARTIFACTS_BYTES;
        private Duration defaultTimeout = Defaults.RUN_TIMEOUT;
        private long stateLogBytes = Defaults.STATE_LOG_BYTES;
        private boolean allowHostNetworks = Defaults.ALLOW_HOST_NETWORKS;
        private Duration shutdownGrace = Defaults.SHUTDOWN_GRACE;
        private long maxLogBytes = Defaults.MAX_LOG_BYTES;
        private Duration sweepInterval = Defaults.SWEEP_INTERVAL;
        private Duration buildCacheMaxAge = Defaults.BUILD_CACHE_MAX_AGE;
        private FilesMode filesMode = Defaults.FILES_MODE;
        private List<String> allowedOrigins = List.of();
        private List<String> allowedHosts = List.of();
        private boolean insecureNoAuth = Defaults.INSECURE_NO_AUTH;
        private Path keysFile;
        private String warmPool = Defaults.WARM_POOL;
        private ReplicaSettings replica = ReplicaSettings.defaults();
        private final RunPolicy.Builder policy;
        private final CallbackSettings.Builder callbacks;
        private final MetricsSettings.Builder metrics;

        private Builder() {
            policy = RunPolicy.builder();
            callbacks = CallbackSettings.builder();
            metrics = MetricsSettings.builder();
        }

        private Builder(ServerConfig config) {
            host = config.host;
            port = config.port;
            token = config.token;
            bodyLimitBytes = config.bodyLimitBytes;
            dataDir = config.dataDir;
            storeUrl = config.storeUrl;
            artifactsDir = config.artifactsDir;
            maxArtifactsBytes = config.maxArtifactsBytes;
            defaultTimeout = config.defaultTimeout;
            stateLogBytes = config.stateLogBytes;
            allowHostNetworks = config.allowHostNetworks;
            shutdownGrace = config.shutdownGrace;
            maxLogBytes = config.maxLogBytes;
            sweepInterval = config.sweepInterval;
            buildCacheMaxAge = config.buildCacheMaxAge;
            filesMode = config.filesMode;
            allowedOrigins = config.allowedOrigins;
            allowedHosts = config.allowedHosts;
            insecureNoAuth = config.insecureNoAuth;
            keysFile = config.keysFile;
            replica = config.replica;
            warmPool = config.warmPool.stream().map(WarmPools::describe).collect(Collectors.joining(","));
            policy = config.policy.toBuilder();
            callbacks = config.callbacks.toBuilder();
            metrics = config.metrics.toBuilder();
        }

        public Builder host(String value) {
            this.host = value;
            return this;
        }

        public Builder port(int value) {
            this.port = value;
            return this;
        }

        /** Null or blank: no token, the API is open. */
        public Builder token(String value) {
            this.token = value;
            return this;
        }

        public Builder bodyLimitBytes(long value) {
            this.bodyLimitBytes = value;
            return this;
        }

        public Builder dataDir(Path value) {
            this.dataDir = value;
            return this;
        }

        /** Replica name, address, heartbeat and silence (see {@link ReplicaSettings}); used with a PostgreSQL store. */
        public Builder replica(String name, String url, Duration heartbeat, Duration silence) {
            this.replica = new ReplicaSettings(name, url, heartbeat, silence);
            return this;
        }

        /** Null or blank: the SQLite store in the data folder; else a {@code jdbc:postgresql:} URL. */
        public Builder storeUrl(String value) {
            this.storeUrl = value;
            return this;
        }

        /** Null or blank: artifacts on disk; else {@code s3://bucket/prefix}. */
        public Builder artifactsUrl(String value) {
            this.artifactsUrl = value;
            return this;
        }

        /** Null or blank: AWS S3 itself; else an S3-compatible store's {@code http(s)://host:port}. */
        public Builder s3Endpoint(String value) {
            this.s3Endpoint = value;
            return this;
        }

        /** Null: true when an endpoint is set. */
        public Builder s3PathStyle(Boolean value) {
            this.s3PathStyle = value;
            return this;
        }

        /** Null or blank: {@link Defaults#S3_REGION}. */
        public Builder s3Region(String value) {
            this.s3Region = value;
            return this;
        }

        /** Null: {@code artifacts} in the data folder. */
        public Builder artifactsDir(Path value) {
            this.artifactsDir = value;
            return this;
        }

        public Builder maxArtifactsBytes(long value) {
            this.maxArtifactsBytes = value;
            return this;
        }

        public Builder defaultTimeout(Duration value) {
            this.defaultTimeout = value;
            return this;
        }

        public Builder stateLogBytes(long value) {
            this.stateLogBytes = value;
            return this;
        }

        public Builder allowHostNetworks(boolean value) {
            this.allowHostNetworks = value;
            return this;
        }

        public Builder shutdownGrace(Duration value) {
            this.shutdownGrace = value;
            return this;
        }

        public Builder maxLogBytes(long value) {
            this.maxLogBytes = value;
            return this;
        }

        public Builder sweepInterval(Duration value) {
            this.sweepInterval = value;
            return this;
        }

        public Builder buildCacheMaxAge(Duration value) {
            this.buildCacheMaxAge = value;
            return this;
        }

        public Builder filesMode(FilesMode value) {
            this.filesMode = value;
            return this;
        }

        /** Null or empty: only the server's own origin. */
        public Builder allowedOrigins(List<String> value) {
            this.allowedOrigins = value;
            return this;
        }

        /** Null or empty: only loopback names. */
        public Builder allowedHosts(List<String> value) {
            this.allowedHosts = value;
            return this;
        }

        public Builder insecureNoAuth(boolean value) {
            this.insecureNoAuth = value;
            return this;
        }

        /** Null: no keys file. */
        public Builder keysFile(Path value) {
            this.keysFile = value;
            return this;
        }

        /** Warm pools as operators write them, e.g. {@code light-run-test/busybox=4,python:3.12-slim=2;network=none}. */
        public Builder warmPool(String value) {
            this.warmPool = value == null ? Defaults.WARM_POOL : value;
            return this;
        }

        /** Changes the run policy, e.g. {@code policy(p -> p.maxConcurrent(2).maxQueue(3))}. */
        public Builder policy(Consumer<RunPolicy.Builder> change) {
            change.accept(policy);
            return this;
        }

        /** Changes callback delivery, e.g. {@code callbacks(c -> c.allow(List.of("10.0.0.0/8")))}. */
        public Builder callbacks(Consumer<CallbackSettings.Builder> change) {
            change.accept(callbacks);
            return this;
        }

        /** Changes who may scrape metrics and where, e.g. {@code metrics(m -> m.token("...").port(9464))}. */
        public Builder metrics(Consumer<MetricsSettings.Builder> change) {
            change.accept(metrics);
            return this;
        }

        /** @throws ConfigException naming the first setting with a bad value */
        public ServerConfig build() {
            Objects.requireNonNull(dataDir, "dataDir was not specified");
            RunPolicy builtPolicy = policy.build();
            return new ServerConfig(host, port, token, bodyLimitBytes,
                    artifactsDir != null ? artifactsDir : Defaults.artifactsDir(dataDir), maxArtifactsBytes,
                    defaultTimeout, stateLogBytes, allowHostNetworks, callbacks.build(), dataDir, storeUrl, shutdownGrace,
                    maxLogBytes, sweepInterval, buildCacheMaxAge, builtPolicy, filesMode, allowedOrigins,
                    allowedHosts, insecureNoAuth, keysFile, metrics.build(), WarmPools.parse(warmPool, builtPolicy),
                    artifactsUrl == null || artifactsUrl.isBlank() ? null
                            : S3Settings.of(artifactsUrl, s3Endpoint, s3PathStyle, s3Region), replica);
        }
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", token=" + (token == null ? "none" : "<masked>")
                + ", bodyLimitBytes=" + bodyLimitBytes + ", artifactsDir=" + artifactsDir + ", maxArtifactsBytes="
                + maxArtifactsBytes + ", defaultTimeout=" + defaultTimeout + ", stateLogBytes=" + stateLogBytes
                + ", allowHostNetworks=" + allowHostNetworks + ", callbacks=" + callbacks + ", dataDir=" + dataDir
                + ", storeUrl=" + (storeUrl == null ? "sqlite" : StoreUrls.masked(storeUrl))
                + ", shutdownGrace=" + shutdownGrace + ", maxLogBytes=" + maxLogBytes + ", sweepInterval=" + sweepInterval
                + ", buildCacheMaxAge=" + buildCacheMaxAge + ", policy=" + policy + ", filesMode=" + filesMode
                + ", allowedOrigins=" + allowedOrigins + ", allowedHosts=" + allowedHosts
                + ", insecureNoAuth=" + insecureNoAuth + ", keysFile=" + keysFile + ", metrics=" + metrics
                + ", warmPool=" + warmPool + ", s3=" + s3 + ", replica=" + replica + "]";
    }
}
