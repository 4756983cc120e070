package dev.lightrun.runner.docker;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.SkippedEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Writes a tar stream (as the Engine's archive API returns it) into a host folder, safely: only regular files and
 * folders are written; links, devices and fifos are skipped, never followed; names that are absolute or climb out with
 * {@code ..} are skipped; one entry over {@code maxEntryBytes}, or the total over {@code maxTotalBytes}, refuses the
 * whole extraction. Streams: memory use does not depend on the archive's size. Not thread-safe; one per run.
 */
final class ArchiveExtractor {
    private static final int BUFFER_BYTES = 128 * 1024;
    private static final Set<PosixFilePermission> FILE_MODE =
            PosixFilePermissions.fromString("rw-r--r--");
    private static final Object OUR_UID = ownId("unix:uid");
    private static final Object OUR_GID = ownId("unix:gid");

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
            Path target = targetOf(name);
            if (target == null) {
                continue;
            }
            if (entry.isDirectory()) {
                createFolder(target);
                entries.add(new ExtractedEntry(name, 0, EntryType.DIRECTORY));
            } else if (isRegularFile(entry)) {
                writeFile(tar, entry, name, target, buffer);
            } else {
                skipped.add(new SkippedEntry(name, kind(entry) + " skipped, never followed"));
            }
        }
    }

    /**
     * The same extraction from a host folder instead of a tar: the run's bind-mounted workdir, read after the container
     * exited (no process of it is left to change anything). Same rules: only regular files and folders, links and
     * special files skipped and never followed, the same caps. A file is hard-linked into the destination when both
     * are on one filesystem (no copy at all), else copied by the kernel; either way it gets our owner and mode 0644,
     * as a file written from a tar does (never the workload's set-uid bits).
     *
     * @param source a path the caller checked is no link, with no link on the way to it
     * @param name   its name in the destination (the last name of the requested path)
     */
    void copyTree(Path source, String name) throws IOException {
        Files.createDirectories(destination);
        copyEntry(source, name);
    }

    private void copyEntry(Path source, String name) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Path target = targetOf(name);
        if (target == null) {
            return;
        }
        if (attributes.isDirectory()) {
            createFolder(target);
            entries.add(new ExtractedEntry(name, 0, EntryType.DIRECTORY));
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> listing = Files.newDirectoryStream(source)) {
                listing.forEach(children::add);
            }
            // Sorted, as the Engine's archive lists a folder.
            children.sort(Comparator.comparing(child -> child.getFileName().toString()));
            for (Path child : children) {
                copyEntry(child, name + "/" + child.getFileName());
            }
        } else if (attributes.isRegularFile()) {
            linkOrCopyFile(source, attributes.size(), name, target);
        } else {
            skipped.add(new SkippedEntry(name, (attributes.isSymbolicLink() ? "symbolic link" : "special entry")
                    + " skipped, never followed"));
        }
    }

    /** Where an entry goes; null (and the entry reported skipped) when it would land outside the destination. */
    private Path targetOf(String name) {
        Path target = destination.resolve(name).normalize();
        if (!target.startsWith(destination) || target.equals(destination)) {
            skipped.add(new SkippedEntry(name, "resolves outside the destination"));
            return null;
        }
        return target;
    }

    private void linkOrCopyFile(Path source, long size, String name, Path target) throws IOException {
        if (size > maxEntryBytes) {
            throw refused(name + " is " + size + " bytes, over the per-file cap of " + maxEntryBytes);
        }
        if (totalBytes + size > maxTotalBytes) {
            throw refused("extracted files exceed the total cap of " + maxTotalBytes + " bytes at " + name);
        }
        createFolder(target.getParent());
        Files.deleteIfExists(target);
        if (!madeOurs(source) || !linked(source, target)) {
            copy(source, target);
        }
        Files.setPosixFilePermissions(target, FILE_MODE);
        long copied = Files.size(target);
        totalBytes += copied;
        entries.add(new ExtractedEntry(name, copied, EntryType.FILE));
    }

    /**
     * Gives the workload's file our owner and mode 0644 while its only name is still in the run's folder (under a
     * root-only parent), so that the destination never holds it, not even for an instant, with the workload's owner
     * or a set-uid bit. False when it cannot be made ours (we are not root): it is then copied.
     */
    private static boolean madeOurs(Path source) {
        try {
            Files.setAttribute(source, "unix:uid", OUR_UID, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(source, "unix:gid", OUR_GID, LinkOption.NOFOLLOW_LINKS);
            // chmod follows links, but the source is a regular file and no process of the run is left to swap it.
            Files.setPosixFilePermissions(source, FILE_MODE);
            return true;
        } catch (IOException | RuntimeException notOurs) {
            return false;
        }
    }

    /** A second name for the file in the destination: no copy at all. False on another filesystem. */
    private static boolean linked(Path source, Path target) {
        try {
            Files.createLink(target, source);
            return true;
        } catch (IOException | RuntimeException notLinkable) {
            return false;
        }
    }

    /**
     * A kernel-side copy (copy_file_range or sendfile: no user-space buffer) into a file we create with mode 0644.
     * Not {@link Files#copy}: it creates the target with the source's mode, set-uid bit included, for as long as the
     * copy takes.
     */
    private static void copy(Path source, Path target) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
             FileChannel out = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(FILE_MODE))) {
            long size = in.size();
            for (long position = 0; position < size; ) {
                long moved = in.transferTo(position, size - position, out);
                if (moved <= 0) {
                    break; // shorter than it said: nothing can change it now, so it is what it is
                }
                position += moved;
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

    /** This process's uid or gid (the owner of /proc/self), for the files we hard-link in. */
    private static Object ownId(String attribute) {
        try {
            return Files.getAttribute(Path.of("/proc/self"), attribute, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return null; // setAttribute then fails, and the file is copied instead
        }
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

    /**
     * Only a plain file's entry (type '0', or NUL in old archives, or '7', a contiguous file). Not
     * {@link TarArchiveEntry#isFile()}: it answers true for every type that is not a folder, fifos and devices
     * included, which would then be written as empty files instead of being skipped.
     */
    private static boolean isRegularFile(TarArchiveEntry entry) {
        byte type = entry.getLinkFlag();
        return type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG;
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
