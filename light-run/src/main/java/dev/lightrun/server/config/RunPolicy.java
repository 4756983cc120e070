package dev.lightrun.server.config;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an operator allows a run to ask for: default and maximum resources, which runtimes and images may be used,
 * whether build steps may run, and how much a run may extract. Requests within the maxima choose freely; above them
 * they are refused with 400 naming the field and the maximum; a forbidden image or build is 403. Built with
 * {@link #builder()} (or {@link #toBuilder()} from an existing policy); validated when built, immutable afterwards.
 *
 * @param defaultMemoryMiB     memory of a run that does not ask (default {@link Defaults#DEFAULT_MEMORY_MIB}, at most
 *                             the maximum)
 * @param maxMemoryMiB         the most a run may ask for (default {@link Defaults#MAX_MEMORY_MIB})
 * @param defaultCpus          CPUs of a run that does not ask (default {@link Defaults#DEFAULT_CPUS}, at most the
 *                             maximum)
 * @param maxCpus              the most a run may ask for (default: the host's CPU count)
 * @param defaultPids          process limit of a run that does not ask (default {@link Defaults#DEFAULT_PIDS}, at
 *                             most the maximum)
 * @param maxPids              the most a run may ask for (default {@link Defaults#MAX_PIDS})
 * @param defaultRuntime       OCI runtime for every run that does not ask (null: the daemon's default)
 * @param runtimes             runtimes a request may name (besides the default one)
 * @param allowedImages        image globs a run may use ({@code *} any characters, {@code ?} one); empty allows all
 * @param allowBuild           whether build steps ({@code run}) may execute at all (they run outside the run's limits)
 * @param buildTimeout         limit of one image build (default {@link Defaults#BUILD_TIMEOUT})
 * @param maxRunArtifactBytes  the most one run may extract (per file and in total); over it the run fails
 * @param maxConcurrent        runs at once (default: the host's CPU count); more wait in the queue
 * @param maxQueue             runs that may wait (default {@link Defaults#MAX_QUEUE}); beyond it a request is 429
 */
public record RunPolicy(int defaultMemoryMiB, int maxMemoryMiB, double defaultCpus, double maxCpus, int defaultPids,
                        int maxPids, String defaultRuntime, Set<String> runtimes, List<String> allowedImages,
                        boolean allowBuild, Duration buildTimeout, long maxRunArtifactBytes, int maxConcurrent,
                        int maxQueue) {

    /** The smallest memory limit Docker accepts for a container. */
    private static final int MIN_MEMORY_MIB = 6;

    public RunPolicy {
        runtimes = Set.copyOf(runtimes);
        allowedImages = List.copyOf(allowedImages);
        defaultRuntime = defaultRuntime == null || defaultRuntime.isBlank() ? null : defaultRuntime.trim();
        Objects.requireNonNull(buildTimeout, "buildTimeout was not specified");
        if (maxMemoryMiB < MIN_MEMORY_MIB) {
            throw new ConfigException(Setting.MAX_MEMORY, "must be >= " + MIN_MEMORY_MIB + " (MiB), was " + maxMemoryMiB);
        }
        if (defaultMemoryMiB < MIN_MEMORY_MIB || defaultMemoryMiB > maxMemoryMiB) {
            throw new ConfigException("defaultMemoryMiB", "must be " + MIN_MEMORY_MIB + ".." + maxMemoryMiB
                    + " (the maximum), was " + defaultMemoryMiB);
        }
        if (!(maxCpus > 0)) {
            throw new ConfigException(Setting.MAX_CPUS, "must be > 0, was " + maxCpus);
        }
        if (!(defaultCpus > 0) || defaultCpus > maxCpus) {
            throw new ConfigException("defaultCpus", "must be > 0 and <= " + maxCpus + " (the maximum), was "
                    + defaultCpus);
        }
        if (maxPids < 1) {
            throw new ConfigException(Setting.MAX_PIDS, "must be >= 1, was " + maxPids);
        }
        if (defaultPids < 1 || defaultPids > maxPids) {
            throw new ConfigException("defaultPids", "must be 1.." + maxPids + " (the maximum), was " + defaultPids);
        }
        if (!buildTimeout.isPositive()) {
            throw new ConfigException(Setting.BUILD_TIMEOUT_MS, "must be positive, was " + buildTimeout.toMillis());
        }
        if (maxRunArtifactBytes < 0) {
            throw new ConfigException(Setting.MAX_RUN_ARTIFACT_BYTES, "must be >= 0, was " + maxRunArtifactBytes);
        }
        if (maxConcurrent < 1) {
            throw new ConfigException(Setting.MAX_CONCURRENT, "must be >= 1, was " + maxConcurrent);
        }
        if (maxQueue < 0) {
            throw new ConfigException(Setting.MAX_QUEUE, "must be >= 0, was " + maxQueue);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this policy, to build a changed one; its defaults are kept as they are (not lowered). */
    public Builder toBuilder() {
        return new Builder().defaultMemoryMiB(defaultMemoryMiB).maxMemoryMiB(maxMemoryMiB).defaultCpus(defaultCpus)
                .maxCpus(maxCpus).defaultPids(defaultPids).maxPids(maxPids).defaultRuntime(defaultRuntime)
                .runtimes(runtimes).allowedImages(allowedImages).allowBuild(allowBuild).buildTimeout(buildTimeout)
                .maxRunArtifactBytes(maxRunArtifactBytes).maxConcurrent(maxConcurrent).maxQueue(maxQueue);
    }

    /** Whether {@code image} matches the allow-list (always, when the list is empty). */
    public boolean imageAllowed(String image) {
        return allowedImages.isEmpty() || imageMatches(allowedImages, image);
    }

    /**
     * Whether {@code image} matches one of {@code globs} ({@code *} any characters, {@code ?} one; an image without a
     * tag also matches as {@code :latest}); never, for an empty list. The one matching of image allow-lists: the
     * server's and a key's quota.
     */
    public static boolean imageMatches(List<String> globs, String image) {
        String tagged = hasTag(image) ? image : image + ":latest";
        return globs.stream().map(RunPolicy::globPattern)
                .anyMatch(glob -> glob.matcher(image).matches() || glob.matcher(tagged).matches());
    }

    /** The first allow-list glob {@code image} matches; empty when none does (or the list is empty). */
    public Optional<String> matchingImageGlob(String image) {
        return allowedImages.stream().filter(glob -> imageMatches(List.of(glob), image)).findFirst();
    }

    /** Whether a request may name {@code runtime}. */
    public boolean runtimeAllowed(String runtime) {
        return runtimes.contains(runtime) || runtime.equals(defaultRuntime);
    }

    private static boolean hasTag(String image) {
        int slash = image.lastIndexOf('/');
        return image.indexOf('@') >= 0 || image.indexOf(':', slash + 1) >= 0;
    }

    private static Pattern globPattern(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /**
     * Named setters starting from the defaults; {@link #build()} validates. A default resource left unset is the
     * built-in one, lowered to its maximum when that is smaller (a run that does not ask gets the most allowed); one
     * set explicitly above its maximum is an error. Not thread-safe.
     */
    public static final class Builder {
        private Integer defaultMemoryMiB;
        private int maxMemoryMiB = Defaults.MAX_MEMORY_MIB;
        private Double defaultCpus;
        private double maxCpus = Defaults.hostCpus();
        private Integer defaultPids;
        private int maxPids = Defaults.MAX_PIDS;
        private String defaultRuntime;
        private Set<String> runtimes = Set.of();
        private List<String> allowedImages = List.of();
        private boolean allowBuild = Defaults.ALLOW_BUILD;
        private Duration buildTimeout = Defaults.BUILD_TIMEOUT;
        private long maxRunArtifactBytes = Defaults.MAX_RUN_ARTIFACT_BYTES;
        private int maxConcurrent = Defaults.hostCpus();
        private int maxQueue = Defaults.MAX_QUEUE;

        private Builder() {
        }

        public Builder defaultMemoryMiB(int value) {
            this.defaultMemoryMiB = value;
            return this;
        }

        public Builder maxMemoryMiB(int value) {
            this.maxMemoryMiB = value;
            return this;
        }

        public Builder defaultCpus(double value) {
            this.defaultCpus = value;
            return this;
        }

        public Builder maxCpus(double value) {
            this.maxCpus = value;
            return this;
        }

        public Builder defaultPids(int value) {
            this.defaultPids = value;
            return this;
        }

        public Builder maxPids(int value) {
            this.maxPids = value;
            return this;
        }

        /** The runtime of every run that names none; null or blank: the daemon's default. */
        public Builder defaultRuntime(String value) {
            this.defaultRuntime = value;
            return this;
        }

        /** Runtimes a request may name; entries are trimmed and blank ones dropped. */
        public Builder runtimes(Collection<String> value) {
            this.runtimes = Set.copyOf(Names.cleaned(value));
            return this;
        }

        /** Image globs; entries are trimmed and blank ones dropped; empty allows every image. */
        public Builder allowedImages(Collection<String> value) {
            this.allowedImages = Names.cleaned(value);
            return this;
        }

        public Builder allowBuild(boolean value) {
            this.allowBuild = value;
            return this;
        }

        public Builder buildTimeout(Duration value) {
            this.buildTimeout = value;
            return this;
        }

        public Builder maxRunArtifactBytes(long value) {
            this.maxRunArtifactBytes = value;
            return this;
        }

        public Builder maxConcurrent(int value) {
            this.maxConcurrent = value;
            return this;
        }

        public Builder maxQueue(int value) {
            this.maxQueue = value;
            return this;
        }

        /** @throws ConfigException naming the first setting with a bad value */
        public RunPolicy build() {
            return new RunPolicy(
                    defaultMemoryMiB != null ? defaultMemoryMiB : Math.min(Defaults.DEFAULT_MEMORY_MIB, maxMemoryMiB),
                    maxMemoryMiB,
                    defaultCpus != null ? defaultCpus : Math.min(Defaults.DEFAULT_CPUS, maxCpus),
                    maxCpus,
                    defaultPids != null ? defaultPids : Math.min(Defaults.DEFAULT_PIDS, maxPids),
                    maxPids, defaultRuntime, runtimes, allowedImages, allowBuild, buildTimeout, maxRunArtifactBytes,
                    maxConcurrent, maxQueue);
        }
    }
}
