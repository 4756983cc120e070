package dev.lightrun.runner;

/**
 * Resource limits of one container. The defaults ({@link #DEFAULTS}) are the hardened ones: 512 MiB of memory with no
 * extra swap, 1 CPU, 100 processes, the image's user, a writable root filesystem.
 *
 * @param memoryBytes    memory limit in bytes; swap is set to the same value, so there is no extra swap
 * @param cpus           CPU share in cores (fractional, e.g. 0.5)
 * @param pids           maximum number of processes/threads in the container (stops fork bombs)
 * @param user           {@code uid[:gid]} or a user name known to the image; null keeps the image's user
 * @param readOnlyRootfs mount the root filesystem read-only; the workdir (a volume) and /tmp (a tmpfs) stay writable
 */
public record Limits(long memoryBytes, double cpus, long pids, String user, boolean readOnlyRootfs) {
    public static final long MIB = 1024L * 1024L;
    public static final Limits DEFAULTS = new Limits(512 * MIB, 1.0, 100, null, false);

    public Limits {
        if (memoryBytes < 6 * MIB) {
            // Docker refuses less than 6 MiB; say so before the daemon does.
            throw new IllegalArgumentException("memoryBytes must be at least 6 MiB, was " + memoryBytes);
        }
        if (!(cpus > 0) || cpus > 1024) {
            throw new IllegalArgumentException("cpus must be > 0 and <= 1024, was " + cpus);
        }
        if (pids < 1) {
            throw new IllegalArgumentException("pids must be >= 1, was " + pids);
        }
        if (user != null && (user.isBlank() || !user.matches("[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?"))) {
            throw new IllegalArgumentException("user must be uid[:gid] or a user name, was '" + user + "'");
        }
    }

    public Limits withMemoryBytes(long value) {
        return new Limits(value, cpus, pids, user, readOnlyRootfs);
    }

    public Limits withCpus(double value) {
        return new Limits(memoryBytes, value, pids, user, readOnlyRootfs);
    }

    public Limits withPids(long value) {
        return new Limits(memoryBytes, cpus, value, user, readOnlyRootfs);
    }

    public Limits withUser(String value) {
        return new Limits(memoryBytes, cpus, pids, value, readOnlyRootfs);
    }

    public Limits withReadOnlyRootfs(boolean value) {
        return new Limits(memoryBytes, cpus, pids, user, value);
    }

    /** Nano-CPUs as the Engine API wants them. */
    public long nanoCpus() {
        return Math.round(cpus * 1_000_000_000d);
    }
}
