package dev.lightrun.server.config;

import dev.lightrun.runner.docker.FilesMode;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every default of the server's settings, once. The builders start from these, and {@code light-run serve} shows them
 * in {@code --help} and uses them when neither a flag nor a {@code LIGHT_RUN_*} variable gives a value (through
 * {@link Setting#defaultText()}).
 */
public final class Defaults {
    /** Loopback: the API is not exposed until the operator says so. */
    public static final String HOST = "127.0.0.1";
    public static final int PORT = 3000;
    public static final long BODY_LIMIT_BYTES = 10L * 1024 * 1024;
    public static final long MAX_ARTIFACTS_BYTES = 20L * 1024 * 1024 * 1024;
    public static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    /** The longest {@link #RUN_TIMEOUT} an operator may set as the default of runs. */
    public static final Duration MAX_RUN_TIMEOUT = Duration.ofHours(1);
    public static final long STATE_LOG_BYTES = 64L * 1024;
    public static final boolean ALLOW_HOST_NETWORKS = false;
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final long MAX_LOG_BYTES = 10L * 1024 * 1024;
    public static final Duration SWEEP_INTERVAL = Duration.ofMinutes(5);
    /** A replica's heartbeat: one small write a second. */
    public static final Duration REPLICA_HEARTBEAT = Duration.ofSeconds(1);
    /** Ten missed heartbeats: long enough for a GC pause or a slow database, short enough to requeue claims soon. */
    public static final Duration REPLICA_SILENCE = Duration.ofSeconds(10);
    public static final Duration BUILD_CACHE_MAX_AGE = Duration.ofDays(7);
    public static final FilesMode FILES_MODE = FilesMode.AUTO;
    /** Without a token, only a loopback address may be listened on. */
    public static final boolean INSECURE_NO_AUTH = false;
    /** No warm pool: every run starts its own container. */
    public static final String WARM_POOL = "";

    public static final int DEFAULT_MEMORY_MIB = 512;
    public static final int MAX_MEMORY_MIB = 4096;
    public static final double DEFAULT_CPUS = 1.0;
    public static final int DEFAULT_PIDS = 100;
    public static final int MAX_PIDS = 4096;
    public static final boolean ALLOW_BUILD = true;
    public static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    public static final long MAX_RUN_ARTIFACT_BYTES = 1024L * 1024 * 1024;
    public static final int MAX_QUEUE = 100;
    /** The region signed into S3 requests when {@code AWS_REGION} is not set. */
    public static final String S3_REGION = "us-east-1";

    public static final Duration CALLBACK_TIMEOUT = Duration.ofSeconds(10);
    /** 8 attempts starting with a 5 s backoff, doubled each time, span about 10 minutes. */
    public static final int CALLBACK_MAX_ATTEMPTS = 8;
    public static final Duration CALLBACK_BACKOFF = Duration.ofSeconds(5);

    private Defaults() {
    }

    /** The default of the most CPUs a run may ask for and of the runs at once: the host's CPU count. */
    public static int hostCpus() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** {@code ~/.light-run}: the run store, logs and (unless set apart) the artifacts. */
    public static Path dataDir() {
        return Path.of(System.getProperty("user.home"), ".light-run");
    }

    /** Artifacts live in the data folder unless set apart. */
    public static Path artifactsDir(Path dataDir) {
        return dataDir.resolve("artifacts");
    }
}
