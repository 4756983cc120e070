package dev.lightrun.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an operator allows a run to ask for: default and maximum resources, which runtimes and images may be used,
 * whether build steps may run, and how much a run may extract. Requests within the maxima choose freely; above them
 * they are refused with 400 naming the field and the maximum; a forbidden image or build is 403.
 *
 * @param defaultMemoryMiB     memory of a run that does not ask (default 512)
 * @param maxMemoryMiB         the most a run may ask for (default 4096)
 * @param defaultCpus          CPUs of a run that does not ask (default 1)
 * @param maxCpus              the most a run may ask for (default: the host's CPU count)
 * @param defaultPids          process limit of a run that does not ask (default 100)
 * @param maxPids              the most a run may ask for (default 4096)
 * @param defaultRuntime       OCI runtime for every run that does not ask (null: the daemon's default)
 * @param runtimes             runtimes a request may name (besides the default one)
 * @param allowedImages        image globs a run may use ({@code *} any characters, {@code ?} one); empty allows all
 * @param allowBuild           whether build steps ({@code run}) may execute at all (they run outside the run's limits)
 * @param buildTimeout         limit of one image build
 * @param maxRunArtifactBytes  the most one run may extract (per file and in total); over it the run fails
 * @param maxConcurrent        runs at once (default: the host's CPU count); more wait in the queue
 * @param maxQueue             runs that may wait (default 100); beyond it a request is 429
 */
public record RunPolicy(int defaultMemoryMiB, int maxMemoryMiB, double defaultCpus, double maxCpus, int defaultPids,
                        int maxPids, String defaultRuntime, Set<String> runtimes, List<String> allowedImages,
                        boolean allowBuild, Duration buildTimeout, long maxRunArtifactBytes, int maxConcurrent,
                        int maxQueue) {

    public RunPolicy {
        runtimes = Set.copyOf(runtimes);
        allowedImages = List.copyOf(allowedImages);
        Objects.requireNonNull(buildTimeout, "buildTimeout was not specified");
        if (defaultMemoryMiB < 6 || maxMemoryMiB < defaultMemoryMiB) {
            throw new ConfigException("memory: the default (" + defaultMemoryMiB + " MiB) must be >= 6 and <= the maximum ("
                    + maxMemoryMiB + " MiB)");
        }
        if (!(defaultCpus > 0) || maxCpus < defaultCpus) {
            throw new ConfigException("cpus: the default (" + defaultCpus + ") must be > 0 and <= the maximum (" + maxCpus + ")");
        }
        if (defaultPids < 1 || maxPids < defaultPids) {
            throw new ConfigException("pids: the default (" + defaultPids + ") must be >= 1 and <= the maximum (" + maxPids + ")");
        }
        if (maxConcurrent < 1 || maxQueue < 0) {
            throw new ConfigException("max-concurrent must be >= 1 and max-queue >= 0, were " + maxConcurrent + " and "
                    + maxQueue);
        }
        if (maxRunArtifactBytes < 0) {
            throw new ConfigException("max-run-artifact-bytes must be >= 0");
        }
    }

    public static RunPolicy defaults() {
        return new RunPolicy(512, 4096, 1.0, Math.max(1, Runtime.getRuntime().availableProcessors()), 100, 4096, null,
                Set.of(), List.of(), true, Duration.ofMinutes(10), 1024L * 1024 * 1024,
                Math.max(1, Runtime.getRuntime().availableProcessors()), 100);
    }

    /** Whether {@code image} matches the allow-list (always, when the list is empty). */
    public boolean imageAllowed(String image) {
        if (allowedImages.isEmpty()) {
            return true;
        }
        String tagged = hasTag(image) ? image : image + ":latest";
        return allowedImages.stream().map(RunPolicy::globPattern)
                .anyMatch(glob -> glob.matcher(image).matches() || glob.matcher(tagged).matches());
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

    public RunPolicy withAllowedImages(List<String> value) {
        return edit(copy -> copy.allowedImages = value);
    }

    public RunPolicy withAllowBuild(boolean value) {
        return edit(copy -> copy.allowBuild = value);
    }

    public RunPolicy withRuntimes(Set<String> value, String defaultRuntimeValue) {
        return edit(copy -> {
            copy.runtimes = value;
            copy.defaultRuntime = defaultRuntimeValue;
        });
    }

    /** New maxima; a default above its new maximum is lowered to it (a run that does not ask gets the most allowed). */
    public RunPolicy withMaxima(int memoryMiB, double cpus, int pids) {
        return edit(copy -> {
            copy.maxMemoryMiB = memoryMiB;
            copy.defaultMemoryMiB = Math.min(defaultMemoryMiB, memoryMiB);
            copy.maxCpus = cpus;
            copy.defaultCpus = Math.min(defaultCpus, cpus);
            copy.maxPids = pids;
            copy.defaultPids = Math.min(defaultPids, pids);
        });
    }

    public RunPolicy withAdmission(int concurrent, int queue) {
        return edit(copy -> {
            copy.maxConcurrent = concurrent;
            copy.maxQueue = queue;
        });
    }

    public RunPolicy withMaxRunArtifactBytes(long value) {
        return edit(copy -> copy.maxRunArtifactBytes = value);
    }

    /** A copy of this policy with one change, validated again like any other. */
    private RunPolicy edit(java.util.function.Consumer<Editable> change) {
        Editable copy = new Editable(this);
        change.accept(copy);
        return copy.build();
    }

    /** The fields of a policy, mutable for the moment of one edit. */
    private static final class Editable {
        private int defaultMemoryMiB;
        private int maxMemoryMiB;
        private double defaultCpus;
        private double maxCpus;
        private int defaultPids;
        private int maxPids;
        private String defaultRuntime;
        private Set<String> runtimes;
        private List<String> allowedImages;
        private boolean allowBuild;
        private Duration buildTimeout;
        private long maxRunArtifactBytes;
        private int maxConcurrent;
        private int maxQueue;

        Editable(RunPolicy policy) {
            defaultMemoryMiB = policy.defaultMemoryMiB;
            maxMemoryMiB = policy.maxMemoryMiB;
            defaultCpus = policy.defaultCpus;
            maxCpus = policy.maxCpus;
            defaultPids = policy.defaultPids;
            maxPids = policy.maxPids;
            defaultRuntime = policy.defaultRuntime;
            runtimes = policy.runtimes;
            allowedImages = policy.allowedImages;
            allowBuild = policy.allowBuild;
            buildTimeout = policy.buildTimeout;
            maxRunArtifactBytes = policy.maxRunArtifactBytes;
            maxConcurrent = policy.maxConcurrent;
            maxQueue = policy.maxQueue;
        }

        RunPolicy build() {
            return new RunPolicy(defaultMemoryMiB, maxMemoryMiB, defaultCpus, maxCpus, defaultPids, maxPids,
                    defaultRuntime, runtimes, allowedImages, allowBuild, buildTimeout, maxRunArtifactBytes,
                    maxConcurrent, maxQueue);
        }
    }
}
