package dev.lightrun.runner;

import java.util.Objects;

/**
 * One file or directory written to the extraction destination.
 *
 * @param path  path relative to the destination folder, with '/' separators (e.g. {@code out/result.json})
 * @param bytes size in bytes (0 for directories)
 * @param type  file or directory
 */
public record ExtractedEntry(String path, long bytes, EntryType type) {
    public ExtractedEntry {
        Objects.requireNonNull(path, "path was not specified");
        Objects.requireNonNull(type, "type was not specified");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
    }
}
