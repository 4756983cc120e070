package dev.lightrun.server.config;

import dev.lightrun.runner.docker.FilesMode;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The settings an operator gives {@code light-run serve}: each is a flag ({@code --max-queue}) and a
 * {@code LIGHT_RUN_*} variable ({@code LIGHT_RUN_MAX_QUEUE}); a flag wins over the variable, the variable over the
 * default. Error messages name a setting by both, so an operator finds it whichever way it was given.
 */
public enum Setting {
    HOST("host", Defaults.HOST),
    PORT("port", Defaults.PORT),
    TOKEN("token", null),
    /** None: only the token's key (or an open server). */
    KEYS_FILE("keys-file", null),
    BODY_LIMIT("body-limit", Defaults.BODY_LIMIT_BYTES),
    DATA_DIR("data-dir", Defaults.dataDir()),
    /** None: the SQLite store in the data folder. */
    STORE_URL("store-url", null),
    /** None: the data folder's instance id. Only with a PostgreSQL store. */
    REPLICA_NAME("replica-name", null),
    /** None: {@code http://<host>:<port>} as the server listens (the machine's name for a wildcard address). */
    REPLICA_URL("replica-url", null),
    REPLICA_HEARTBEAT_MS("replica-heartbeat-ms", Defaults.REPLICA_HEARTBEAT),
    REPLICA_SILENCE_MS("replica-silence-ms", Defaults.REPLICA_SILENCE),
    /** No default of its own: {@code <data dir>/artifacts}. */
    ARTIFACTS_DIR("artifacts-dir", null),
    /** None: the artifacts folder. An {@code s3://bucket/prefix} URL puts artifacts and finished logs in S3. */
    ARTIFACTS_URL("artifacts-url", null),
    /** None: {@code AWS_ENDPOINT_URL_S3}, else AWS S3 itself. */
    S3_ENDPOINT("s3-endpoint", null),
    /** None: true when an endpoint is set. */
    S3_PATH_STYLE("s3-path-style", null),
    SHUTDOWN_GRACE_MS("shutdown-grace-ms", Defaults.SHUTDOWN_GRACE),
    MAX_ARTIFACTS_BYTES("max-artifacts-bytes", Defaults.MAX_ARTIFACTS_BYTES),
    DEFAULT_TIMEOUT_MS("default-timeout-ms", Defaults.RUN_TIMEOUT),
    ALLOW_HOST_NETWORK("allow-host-network", Defaults.ALLOW_HOST_NETWORKS),
    MAX_LOG_BYTES("max-log-bytes", Defaults.MAX_LOG_BYTES),
    SWEEP_INTERVAL_MS("sweep-interval-ms", Defaults.SWEEP_INTERVAL),
    BUILD_CACHE_MAX_AGE_MS("build-cache-max-age-ms", Defaults.BUILD_CACHE_MAX_AGE),
    MAX_MEMORY("max-memory", Defaults.MAX_MEMORY_MIB),
    MAX_CPUS("max-cpus", Defaults.hostCpus()),
    MAX_PIDS("max-pids", Defaults.MAX_PIDS),
    RUNTIMES("runtimes", null),
    RUNTIME("runtime", null),
    FILES_MODE("files-mode", Defaults.FILES_MODE),
    WARM_POOL("warm-pool", Defaults.WARM_POOL),
    ALLOWED_IMAGES("allowed-images", null),
    ALLOW_BUILD("allow-build", Defaults.ALLOW_BUILD),
    BUILD_TIMEOUT_MS("build-timeout-ms", Defaults.BUILD_TIMEOUT),
    MAX_RUN_ARTIFACT_BYTES("max-run-artifact-bytes", Defaults.MAX_RUN_ARTIFACT_BYTES),
    MAX_CONCURRENT("max-concurrent", Defaults.hostCpus()),
    MAX_QUEUE("max-queue", Defaults.MAX_QUEUE),
    CALLBACK_ALLOW("callback-allow", null),
    CALLBACK_MAX_ATTEMPTS("callback-max-attempts", Defaults.CALLBACK_MAX_ATTEMPTS),
    CALLBACK_BACKOFF_MS("callback-backoff-ms", Defaults.CALLBACK_BACKOFF),
    /** None: only the server's own origin. */
    ALLOWED_ORIGINS("allowed-origins", null),
    /** None: only loopback names. */
    ALLOWED_HOSTS("allowed-hosts", null),
    INSECURE_NO_AUTH("insecure-no-auth", Defaults.INSECURE_NO_AUTH),
    /** No default: only an admin may scrape. */
    METRICS_TOKEN("metrics-token", null),
    /** No default: /metrics only on the API port. */
    METRICS_PORT("metrics-port", null);

    private final String flag;
    private final String env;
    private final String defaultText;

    Setting(String name, Object defaultValue) {
        this.flag = "--" + name;
        this.env = "LIGHT_RUN_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
        this.defaultText = text(defaultValue);
    }

    /** The command-line flag, e.g. {@code --max-queue}. */
    public String flag() {
        return flag;
    }

    /** The environment variable, e.g. {@code LIGHT_RUN_MAX_QUEUE}. */
    public String env() {
        return env;
    }

    /** The default as the command line would write it (durations in milliseconds); null when there is none. */
    public String defaultText() {
        return defaultText;
    }

    /** How messages name the setting: {@code --max-queue / LIGHT_RUN_MAX_QUEUE}. */
    public String label() {
        return flag + " / " + env;
    }

    public static Optional<Setting> byFlag(String flag) {
        return Arrays.stream(values()).filter(s -> s.flag.equals(flag)).findFirst();
    }

    private static String text(Object value) {
        return switch (value) {
            case null -> null;
            case Duration duration -> Long.toString(duration.toMillis());
            case FilesMode mode -> mode.name().toLowerCase(Locale.ROOT);
            default -> String.valueOf(value);
        };
    }
}
