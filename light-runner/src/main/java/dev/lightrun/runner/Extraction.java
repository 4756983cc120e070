package dev.lightrun.runner;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which container paths to copy out after the run, and where to. Each path is copied under its last name, as
 * {@code docker cp} does: {@code /app/out} (a folder) becomes {@code <destination>/out/...}, {@code /app/r.json}
 * becomes {@code <destination>/r.json}. Links, devices and unsafe names are skipped, never followed.
 *
 * @param paths          container-absolute paths without {@code ..}; their last names must differ
 * @param destination    host folder the entries are written into (created if missing)
 * @param policy         when to extract (default: only after exit code 0)
 * @param maxEntryBytes  largest single file accepted (default 1 GiB)
 * @param maxTotalBytes  largest total accepted over all paths (default 1 GiB)
 */
public record Extraction(List<String> paths, Path destination, ExtractPolicy policy, long maxEntryBytes,
                         long maxTotalBytes) {
    public static final long DEFAULT_CAP_BYTES = 1024L * 1024L * 1024L;
    public static final int MAX_PATHS = 100;

    public Extraction {
        paths = List.copyOf(paths);
        Objects.requireNonNull(destination, "destination was not specified");
        Objects.requireNonNull(policy, "policy was not specified");
        if (paths.size() > MAX_PATHS) {
            throw new IllegalArgumentException("at most " + MAX_PATHS + " extract paths, got " + paths.size());
        }
        Set<String> names = new HashSet<>();
        for (String path : paths) {
            checkPath(path);
            String name = lastName(path);
            if (!names.add(name)) {
                throw new IllegalArgumentException("extract paths must have distinct last names (they share a folder"
                        + " on the host), '" + name + "' appears twice");
            }
        }
        if (maxEntryBytes < 0 || maxTotalBytes < 0) {
            throw new IllegalArgumentException("extraction caps must be >= 0");
        }
    }

    public static Extraction of(Path destination, String... paths) {
        return new Extraction(List.of(paths), destination, ExtractPolicy.ON_SUCCESS, DEFAULT_CAP_BYTES, DEFAULT_CAP_BYTES);
    }

    public Extraction withPolicy(ExtractPolicy value) {
        return new Extraction(paths, destination, value, maxEntryBytes, maxTotalBytes);
    }

    public Extraction withCaps(long entryBytes, long totalBytes) {
        return new Extraction(paths, destination, policy, entryBytes, totalBytes);
    }

    /** Throws when a path is not absolute, contains {@code .} or {@code ..} segments, or is the root. */
    public static void checkPath(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("extract path must be absolute, was '" + path + "'");
        }
        if (path.length() > 1024 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("extract path must be at most 1024 characters without NUL");
        }
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("extract path must not be the root folder");
        }
        for (String segment : trimmed.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("extract path must be normalized, without '..', '.' or '//': '" + path + "'");
            }
        }
    }

    static String lastName(String path) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }
}
