package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.artifacts.ArtifactPaths;
import dev.lightrun.server.model.RunIds;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Object keys of runs' files: {@code prefix/<run id>/<relative path>}, the relative path checked by the same rule as
 * on disk ({@link ArtifactPaths#segments}): no {@code ..}, no absolute path. Also the arithmetic of multipart
 * uploads and ranged reads. Pure: no network.
 */
final class S3Keys {
    private final String root;

    S3Keys(S3Location location) {
        Objects.requireNonNull(location, "location was not specified");
        this.root = location.prefix().isEmpty() ? "" : location.prefix() + "/";
    }

    /** The prefix every run folder is under: {@code prefix/} (empty for the bucket's top level). */
    String root() {
        return root;
    }

    /** {@code prefix/<run id>/}: everything of one run, and nothing of another. */
    String runPrefix(String runId) {
        if (!RunIds.looksValid(runId)) {
            throw new IllegalArgumentException("not a run id: " + runId);
        }
        return root + runId + "/";
    }

    /**
     * The key of a run's file or folder, without a trailing {@code /}; the run's own prefix without it for an empty
     * path. Empty when the run id or the path is not acceptable.
     */
    Optional<String> key(String runId, String relativePath) {
        if (!RunIds.looksValid(runId)) {
            return Optional.empty();
        }
        return ArtifactPaths.segments(relativePath).map(segments -> segments.isEmpty()
                ? root + runId
                : root + runId + "/" + String.join("/", segments));
    }

    /**
     * {@code prefix/.logs/<run id>/}: a finished run's log, beside its files rather than among them (a run may
     * extract a folder named {@code .logs}), and never taken for a run folder ({@code .logs} is no run id).
     */
    String logPrefix(String runId) {
        if (!RunIds.looksValid(runId)) {
            throw new IllegalArgumentException("not a run id: " + runId);
        }
        return root + ".logs/" + runId + "/";
    }

    /** The run id of a common prefix {@code prefix/<run id>/} of a listing; empty for anything else. */
    Optional<String> runIdOf(String commonPrefix) {
        if (!commonPrefix.startsWith(root) || !commonPrefix.endsWith("/")) {
            return Optional.empty();
        }
        String id = commonPrefix.substring(root.length(), commonPrefix.length() - 1);
        return RunIds.looksValid(id) ? Optional.of(id) : Optional.empty();
    }

    /** The HTTP {@code Range} of {@code length >= 1} bytes from {@code offset}: {@code bytes=first-last}, inclusive. */
    static String range(long offset, long length) {
        if (offset < 0 || length < 1) {
            throw new IllegalArgumentException("a range needs offset >= 0 and length >= 1, was " + offset + "+" + length);
        }
        return "bytes=" + offset + "-" + (offset + length - 1);
    }

    /** One part of a multipart upload: S3 numbers them from 1. */
    record Part(int number, long offset, long length) {
    }

    /**
     * The parts of a file of {@code size} bytes: all {@code partSize} but the last, which is 1..partSize. S3 allows
     * at most 10,000 parts, so the part size grows for a file larger than 10,000 of them.
     */
    static List<Part> parts(long size, long partSize) {
        if (size < 1 || partSize < 1) {
            throw new IllegalArgumentException("size and partSize must be >= 1, were " + size + " and " + partSize);
        }
        long effective = Math.max(partSize, Math.ceilDiv(size, MAX_PARTS));
        List<Part> parts = new ArrayList<>();
        for (long offset = 0; offset < size; offset += effective) {
            parts.add(new Part(parts.size() + 1, offset, Math.min(effective, size - offset)));
        }
        return parts;
    }

    static final int MAX_PARTS = 10_000;
}
