package dev.lightrun.runner.docker;

import dev.lightrun.runner.PoolProfile;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Options of a {@link DockerRunner}; every one has a default. */
public final class DockerRunnerBuilder {
    URI dockerHost;
    Duration connectTimeout = Duration.ofSeconds(3);
    int maxConnections = 512;
    boolean pullMissingImages = true;
    Duration pullTimeout = Duration.ofMinutes(5);
    String defaultNetwork = "light-run-isolated";
    String instance = "default";
    FilesMode filesMode = FilesMode.AUTO;
    Path filesRoot;
    List<PoolProfile> warmPool = List.of();

    DockerRunnerBuilder() {
    }

    /**
     * Warm pools (default none): for each profile, that many containers are created and started ahead, with
     * exactly a cold run's hardening, each idle on a waiting shell with its own files folder. A run whose spec
     * matches a profile ({@link dev.lightrun.runner.PoolProfile#mismatch}) takes one, gets its files, env, stdin
     * and entrypoint delivered through that folder, and runs there as the container's main process; the
     * container is removed afterwards, never reused, and the pool refills in the background. Needs files by bind
     * mount ({@link FilesMode}); without it the pools stay empty (runs start cold) and {@link DockerRunner#pools()} says why.
     * Pooled containers carry the kind label {@code pool}; a runner of the same instance removes those a previous
     * process left and never hands them out. Closing the runner empties the pools.
     */
    public DockerRunnerBuilder warmPool(List<PoolProfile> profiles) {
        List<PoolProfile> copy = List.copyOf(profiles);
        if (copy.stream().map(PoolProfile::image).distinct().count() != copy.size()) {
            throw new IllegalArgumentException("warmPool: each image may have one pool");
        }
        this.warmPool = copy;
        return this;
    }

    public DockerRunnerBuilder warmPool(PoolProfile... profiles) {
        return warmPool(List.of(profiles));
    }

    /**
     * Name of this runner instance, put on every container it creates (default {@code default}).
     * {@link #reapOrphans} only removes containers of its own instance, so give each process that shares a daemon
     * its own (a server keeps one in its data folder).
     */
    public DockerRunnerBuilder instance(String value) {
        if (value == null || !value.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new IllegalArgumentException("instance must be 1..64 of [A-Za-z0-9_.-], was '" + value + "'");
        }
        this.instance = value;
        return this;
    }

    /** The daemon to use, e.g. {@code unix:///var/run/docker.sock} or {@code tcp://host:2376}; default DOCKER_HOST. */
    public DockerRunnerBuilder dockerHost(URI value) {
        this.dockerHost = value;
        return this;
    }

    /** How long to wait for a connection to the daemon (default 3 s), so a dead daemon is reported quickly. */
    public DockerRunnerBuilder connectTimeout(Duration value) {
        this.connectTimeout = Objects.requireNonNull(value, "connectTimeout");
        return this;
    }

    /** Connections to the daemon at once (default 512: each run holds two while it runs, for wait and logs). */
    public DockerRunnerBuilder maxConnections(int value) {
        if (value < 4) {
            throw new IllegalArgumentException("maxConnections must be >= 4, was " + value);
        }
        this.maxConnections = value;
        return this;
    }

    /** Pull an image that is not present locally (default true); when false a missing image fails at once. */
    public DockerRunnerBuilder pullMissingImages(boolean value) {
        this.pullMissingImages = value;
        return this;
    }

    public DockerRunnerBuilder pullTimeout(Duration value) {
        this.pullTimeout = Objects.requireNonNull(value, "pullTimeout");
        return this;
    }

    /** Name of the isolated bridge network runs join by default (default {@code light-run-isolated}). */
    public DockerRunnerBuilder defaultNetwork(String value) {
        this.defaultNetwork = Objects.requireNonNull(value, "defaultNetwork");
        return this;
    }

    /** How runs get their files (default {@link FilesMode#AUTO}: bind mount where that is known to be safe). */
    public DockerRunnerBuilder filesMode(FilesMode value) {
        this.filesMode = Objects.requireNonNull(value, "filesMode");
        return this;
    }

    /**
     * Host folder holding each run's bind-mounted files folder (default {@code <tmpdir>/light-runner-files-<instance>});
     * made owner-only (0700). Only used when files are bind-mounted.
     */
    public DockerRunnerBuilder filesRoot(Path value) {
        this.filesRoot = Objects.requireNonNull(value, "filesRoot");
        return this;
    }

    public DockerRunner build() {
        return new DockerRunner(this);
    }
}
