package dev.lightrun.runner.docker;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.SkippedEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a tar stream (as the Engine's archive API returns it) into a host folder, safely: only regular files and
 * folders are written; links, devices and fifos are skipped, never followed; names that are absolute or climb out with
 * {@code ..} are skipped; one entry over {@code maxEntryBytes}, or the total over {@code maxTotalBytes}, refuses the
 * whole extraction. Streams: memory use does not depend on the archive's size. Not thread-safe; one per run.
 */
final class ArchiveExtractor {
    private static final int BUFFER_BYTES = 128 * 1024;

    private final Path destination;
    private final long maxEntryBytes;
    private final long maxTotalBytes;
    private final List<ExtractedEntry> entries = new ArrayList<>();
    private final List<SkippedEntry> skipped = new ArrayList<>();
    private long totalBytes;

    ArchiveExtractor(Path destination, long maxEntryBytes, long maxTotalBytes) {
        this.destination = destination.toAbsolutePath().normalize();
        this.maxEntryBytes = maxEntryBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    List<ExtractedEntry> entries() {
        return List.copyOf(entries);
    }

    List<SkippedEntry> skipped() {
        return List.copyOf(skipped);
    }

    long totalBytes() {
        return totalBytes;
    }

    /** Reads the whole tar; throws {@link ErrorCode#EXTRACTION_REFUSED} when a cap is broken. */
    void extract(InputStream tarStream) throws IOException {
        Files.createDirectories(destination);
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
        byte[] buffer = new byte[BUFFER_BYTES];
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
            String name = cleanName(entry.getName());
            if (name == null) {
                skipped.add(new SkippedEntry(entry.getName(), "unsafe name (absolute or with '..')"));
                continue;
            }
            if (name.isEmpty()) {
                continue;
            }
            Path target = destination.resolve(name).normalize();
            if (!target.startsWith(destination) || target.equals(destination)) {
                skipped.add(new SkippedEntry(name, "resolves outside the destination"));
                continue;
            }
            if (entry.isDirectory()) {
                createFolder(target);
                entries.add(new ExtractedEntry(name, 0, EntryType.DIRECTORY));
            } else if (entry.isFile() && !entry.isLink() && !entry.isSymbolicLink()) {
                writeFile(tar, entry, name, target, buffer);
            } else {
                skipped.add(new SkippedEntry(name, kind(entry) + " skipped, never followed"));
            }
        }
    }

    private void writeFile(TarArchiveInputStream tar, TarArchiveEntry entry, String name, Path target, byte[] buffer)
            throws IOException {
        if (entry.getSize() > maxEntryBytes) {
            throw refused(name + " is " + entry.getSize() + " bytes, over the per-file cap of " + maxEntryBytes);
        }
        if (totalBytes + entry.getSize() > maxTotalBytes) {
            throw refused("extracted files exceed the total cap of " + maxTotalBytes + " bytes at " + name);
        }
        createFolder(target.getParent());
        long written = 0;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            for (int n = tar.read(buffer); n >= 0; n = tar.read(buffer)) {
                out.write(buffer, 0, n);
                written += n;
            }
        }
        totalBytes += written;
        entries.add(new ExtractedEntry(name, written, EntryType.FILE));
    }

    private void createFolder(Path folder) throws IOException {
        // A folder path component that is a link would let a later file escape; we never create links, but check.
        for (Path p = folder; p != null && p.startsWith(destination) && !p.equals(destination); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw refused("refusing to write through a link at " + destination.relativize(p));
            }
        }
        Files.createDirectories(folder);
    }

    /** Normalized relative name with '/' separators, "" for the archive root, null when unsafe. */
    static String cleanName(String raw) {
        String name = raw.replace('\\', '/');
        if (name.startsWith("/")) {
            return null;
        }
        StringBuilder clean = new StringBuilder();
        for (String segment : name.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..") || segment.indexOf('\0') >= 0) {
                return null;
            }
            if (!clean.isEmpty()) {
                clean.append('/');
            }
            clean.append(segment);
        }
        return clean.toString();
    }

    private static String kind(TarArchiveEntry entry) {
        if (entry.isSymbolicLink()) {
            return "symbolic link";
        }
        if (entry.isLink()) {
            return "hard link";
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            return "device";
        }
        if (entry.isFIFO()) {
            return "fifo";
        }
        return "special entry";
    }

    private static RunnerException refused(String message) {
        return new RunnerException(ErrorCode.EXTRACTION_REFUSED, "extraction refused: " + message);
    }
}
