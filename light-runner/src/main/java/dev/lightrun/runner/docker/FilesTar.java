package dev.lightrun.runner.docker;

import dev.lightrun.runner.RunSpec;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Streams a run's files (and its stdin, as a file the entrypoint wrapper reads) as a tar to upload with the Engine's
 * archive API, extracted at {@link #uploadPath}. The tar is written by a virtual thread into a pipe, so no whole
 * archive is ever held in memory.
 */
final class FilesTar {
    /** Name of the stdin file inside the workdir; the wrapper opens it as fd 0 and deletes it before the workload runs. */
    static final String STDIN_FILE = ".lightrun-stdin";
    private static final int PIPE_BYTES = 64 * 1024;

    private FilesTar() {
    }

    /**
     * Where the tar is extracted. Normally {@code /}, so a workdir the image lacks is created by the upload. With a
     * read-only root the engine refuses uploads outside volumes, so the tar goes straight into the workdir volume.
     */
    static String uploadTarget(RunSpec spec) {
        return spec.limits().readOnlyRootfs() ? spec.workdir() : "/";
    }

    /**
     * True when there is something to upload. With a user set, the workdir entry alone is worth it: it hands the
     * workdir to that user, which Docker would otherwise create as root-owned and leave unwritable to the workload.
     */
    static boolean needed(RunSpec spec) {
        return !spec.files().isEmpty() || spec.stdin() != null || spec.limits().user() != null;
    }

    /** Opens the tar stream; the writer thread stops on its own when the reader closes or fails. */
    static InputStream open(RunSpec spec) throws IOException {
        PipedInputStream in = new PipedInputStream(PIPE_BYTES);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread.ofVirtual().name("tar-" + spec.runId()).start(() -> {
            try (out) {
                write(spec, out);
            } catch (IOException e) {
                // The reader (the upload) failed or closed early; it reports the failure itself.
            }
        });
        return in;
    }

    /** Every folder the relative file paths need, parents before children (sorted), e.g. a, a/b for a/b/c.txt. */
    static TreeSet<String> foldersOf(Collection<String> paths) {
        TreeSet<String> folders = new TreeSet<>();
        for (String path : paths) {
            for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                folders.add(path.substring(0, slash));
            }
        }
        return folders;
    }

    static void write(RunSpec spec, OutputStream target) throws IOException {
        Ownership owner = Ownership.of(spec.limits().user());
        // Relative to the upload target (see uploadTarget): the workdir's path from /, or nothing when we upload
        // straight into the workdir.
        String root = uploadTarget(spec).equals("/") ? spec.workdir().substring(1) : ".";
        TreeMap<String, byte[]> files = new TreeMap<>(spec.files());
        TreeSet<String> folders = foldersOf(files.keySet());
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(target)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            putFolder(tar, root + "/", owner);
            for (String folder : folders) {
                putFolder(tar, root + "/" + folder + "/", owner);
            }
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                putFile(tar, root + "/" + file.getKey(), file.getValue(), owner.fileMode(), owner);
            }
            if (spec.stdin() != null) {
                putFile(tar, root + "/" + STDIN_FILE, spec.stdin(), owner.stdinMode(), owner);
            }
            tar.finish();
        }
    }

    private static void putFolder(TarArchiveOutputStream tar, String name, Ownership owner) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 | owner.folderMode());
        own(entry, owner);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
    }

    private static void putFile(TarArchiveOutputStream tar, String name, byte[] content, int mode, Ownership owner)
            throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(TarArchiveEntry.DEFAULT_FILE_MODE & ~0777 | mode);
        own(entry, owner);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void own(TarArchiveEntry entry, Ownership owner) {
        entry.setUserId(owner.uid());
        entry.setGroupId(owner.gid());
    }
}
