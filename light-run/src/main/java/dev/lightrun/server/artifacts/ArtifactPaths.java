package dev.lightrun.server.artifacts;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The one rule both stores apply to a path a caller asks for inside a run's files. */
public final class ArtifactPaths {
    private ArtifactPaths() {
    }

    /**
     * The segments of a relative path, or empty when one of them could leave the run's files or means something else
     * on some filesystem: {@code ..}, {@code .}, a NUL or a backslash. Empty segments ({@code a//b}, a trailing
     * {@code /}) are dropped, as a filesystem would; a leading {@code /} is refused (absolute).
     */
    public static Optional<List<String>> segments(String relativePath) {
        if (relativePath == null || relativePath.startsWith("/")) {
            return Optional.empty();
        }
        List<String> segments = new ArrayList<>();
        for (String segment : relativePath.split("/", -1)) {
            if (!isSafe(segment)) {
                return Optional.empty();
            }
            if (!segment.isEmpty()) {
                segments.add(segment);
            }
        }
        return Optional.of(List.copyOf(segments));
    }

    static boolean isSafe(String segment) {
        return !(segment.equals("..") || segment.equals(".") || segment.indexOf('\0') >= 0
                || segment.indexOf('\\') >= 0);
    }
}
