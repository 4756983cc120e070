package dev.lightrun.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A warm pool's profile: the image and the container settings its pooled containers are created with, ahead of any
 * run, with exactly the hardening a cold run of those settings gets. A run whose {@link RunSpec} asks for nothing else
 * ({@link #mismatch}) may take one of them instead of starting a container of its own.
 *
 * @param image     the image, as runs name it (compared literally: {@code busybox} and {@code busybox:latest} differ)
 * @param size      how many started containers the pool keeps waiting (1..64)
 * @param network   the network runs of this pool join
 * @param runtime   the OCI runtime, null for the daemon's default
 * @param limits    memory, CPUs, pids, user and read-only root; the user must be numeric ({@code uid[:gid]}) or absent
 * @param hardening dropped/added capabilities and no-new-privileges ({@code allowHostNetworks} is not compared: it
 *                  only decides what a spec may ask for)
 * @param workdir   the working folder, where each run's files are delivered
 */
public record PoolProfile(String image, int size, NetworkChoice network, String runtime, Limits limits,
                          Hardening hardening, String workdir) {
    public static final int MAX_SIZE = 64;

    public PoolProfile {
        Objects.requireNonNull(image, "image was not specified");
        Objects.requireNonNull(network, "network was not specified");
        Objects.requireNonNull(limits, "limits was not specified");
        Objects.requireNonNull(hardening, "hardening was not specified");
        Objects.requireNonNull(workdir, "workdir was not specified");
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size of pool " + image + " must be 1.." + MAX_SIZE + ", was " + size);
        }
        if (limits.user() != null && !limits.user().matches("\\d{1,9}(:\\d{1,9})?")) {
            throw new IllegalArgumentException("user of pool " + image + " must be numeric uid[:gid], was '"
                    + limits.user() + "'");
        }
        // Reuse RunSpec's own checks for image, workdir, runtime and network, so a profile is exactly as valid as a run.
        RunSpec.builder(image).workdir(workdir).runtime(runtime).network(network).limits(limits).hardening(hardening)
                .build();
        if (workdir.matches("/(proc|sys|dev)(/.*)?")) {
            throw new IllegalArgumentException("workdir of pool " + image + " must not be under /proc, /sys or /dev");
        }
    }

    /** A pool of {@code size} for {@code image} with a run's defaults (isolated network, hardened limits, /app). */
    public static PoolProfile of(String image, int size) {
        return new PoolProfile(image, size, NetworkChoice.isolated(), null, Limits.DEFAULTS, Hardening.DEFAULTS,
                RunSpec.DEFAULT_WORKDIR);
    }

    public PoolProfile withNetwork(NetworkChoice value) {
        return new PoolProfile(image, size, value, runtime, limits, hardening, workdir);
    }

    public PoolProfile withRuntime(String value) {
        return new PoolProfile(image, size, network, value, limits, hardening, workdir);
    }

    public PoolProfile withLimits(Limits value) {
        return new PoolProfile(image, size, network, runtime, value, hardening, workdir);
    }

    public PoolProfile withHardening(Hardening value) {
        return new PoolProfile(image, size, network, runtime, limits, value, workdir);
    }

    public PoolProfile withWorkdir(String value) {
        return new PoolProfile(image, size, network, runtime, limits, hardening, value);
    }

    /**
     * Null when a run of {@code spec} can take a container of this pool; otherwise what it asks for that the pool's
     * containers lack, in words (for a debug line: never a value of the spec's env, stdin or files).
     */
    public String mismatch(RunSpec spec) {
        if (!spec.image().equals(image)) {
            return "another image";
        }
        if (!spec.buildSteps().isEmpty()) {
            return "build steps";
        }
        if (spec.entrypoint() == null) {
            return "the image's own command (no entrypoint)";
        }
        if (!spec.network().equals(network)) {
            return "another network";
        }
        if (!Objects.equals(spec.runtime(), runtime)) {
            return "another runtime";
        }
        if (!spec.limits().equals(limits)) {
            return "other limits";
        }
        Hardening wanted = spec.hardening();
        if (!wanted.capDrop().equals(hardening.capDrop()) || !wanted.capAdd().equals(hardening.capAdd())
                || wanted.noNewPrivileges() != hardening.noNewPrivileges()) {
            return "other hardening";
        }
        if (!spec.workdir().equals(workdir)) {
            return "another workdir";
        }
        if (!spec.labels().isEmpty()) {
            return "labels (a running container's labels are fixed)";
        }
        return null;
    }

    /**
     * Parses an operator's pool list: comma-separated {@code image=size}, each optionally followed by
     * {@code ;key=value} settings: {@code network} ({@code bridge} = the isolated default, {@code none}, or a network
     * name), {@code runtime}, {@code memory} (MiB), {@code cpus}, {@code pids}, {@code user} (numeric),
     * {@code readonly} (true/false), {@code workdir}. Unset settings come from {@code base} (a pool of its image
     * then matches a run that asks for nothing particular). E.g.
     * {@code local/busybox:test=2,python:3.12-slim=4;network=none;memory=256}.
     *
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public static List<PoolProfile> parseList(String text, PoolProfile base) {
        List<PoolProfile> profiles = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return profiles;
        }
        for (String entry : text.split(",")) {
            String trimmed = entry.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            profiles.add(parse(trimmed, base));
        }
        List<String> images = profiles.stream().map(PoolProfile::image).toList();
        if (images.stream().distinct().count() != images.size()) {
            throw new IllegalArgumentException("each image may have one pool, was " + images);
        }
        return List.copyOf(profiles);
    }

    private static PoolProfile parse(String entry, PoolProfile base) {
        String[] parts = entry.split(";");
        int eq = parts[0].lastIndexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("pool '" + entry + "' must be image=size");
        }
        String image = parts[0].substring(0, eq).strip();
        int size;
        try {
            size = Integer.parseInt(parts[0].substring(eq + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pool '" + entry + "': size must be a number", e);
        }
        NetworkChoice network = base.network();
        String runtime = base.runtime();
        Limits limits = base.limits();
        String workdir = base.workdir();
        for (int i = 1; i < parts.length; i++) {
            String setting = parts[i].strip();
            int at = setting.indexOf('=');
            if (at <= 0) {
                throw new IllegalArgumentException("pool '" + entry + "': setting '" + setting + "' must be key=value");
            }
            String key = setting.substring(0, at).strip();
            String value = setting.substring(at + 1).strip();
            try {
                switch (key) {
                    case "network" -> network = value.equals("bridge") ? NetworkChoice.isolated()
                            : value.equals("none") ? NetworkChoice.none() : NetworkChoice.named(value);
                    case "runtime" -> runtime = value.isEmpty() ? null : value;
                    case "memory" -> limits = limits.withMemoryBytes(Long.parseLong(value) * Limits.MIB);
                    case "cpus" -> limits = limits.withCpus(Double.parseDouble(value));
                    case "pids" -> limits = limits.withPids(Long.parseLong(value));
                    case "user" -> limits = limits.withUser(value.isEmpty() ? null : value);
                    case "readonly" -> limits = limits.withReadOnlyRootfs(parseBoolean(value));
                    case "workdir" -> workdir = value;
                    default -> throw new IllegalArgumentException("unknown setting '" + key
                            + "' (network, runtime, memory, cpus, pids, user, readonly, workdir)");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pool '" + entry + "': " + key + " must be a number, was '" + value + "'", e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("pool '" + entry + "': " + e.getMessage(), e);
            }
        }
        try {
            return new PoolProfile(image, size, network, runtime, limits, base.hardening(), workdir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pool '" + entry + "': " + e.getMessage(), e);
        }
    }

    private static boolean parseBoolean(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("readonly must be true or false, was '" + value + "'");
        };
    }

    @Override
    public String toString() {
        return image + "=" + size + " (network " + network + ", runtime " + (runtime == null ? "default" : runtime)
                + ", " + limits + ", workdir " + workdir + ")";
    }
}
