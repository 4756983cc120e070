package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The bind-mount way of handing a run its files ({@link FilesMode#BIND}): one host folder per run under a root-only
 * parent, filled before create and mounted at the workdir. The workload writes into it as its own uid, so everything
 * found there afterwards is untrusted: it is deleted without following links, and the parent's mode 0700 keeps other
 * host users away from whatever the workload left (set-uid files included) until then.
 */
final class BindFiles {
    private static final Logger log = LoggerFactory.getLogger(BindFiles.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /** Null when bind mounts are off: every run uploads its files. */
    private final Path root;
    private final String description;

    private BindFiles(Path root, String description) {
        this.root = root;
        this.description = description;
    }

    static BindFiles off() {
        return off("uploaded with the archive API (files mode archive)");
    }

    private static BindFiles off(String why) {
        return new BindFiles(null, why);
    }

    /** How runs get their files, and why: for the caller to log once it is up (building a runner logs nothing). */
    String description() {
        return description;
    }

    /**
     * Decides once, for the runner's lifetime, whether runs may get their files by bind mount, and prepares the root.
     * An explicit {@link FilesMode#BIND} is trusted (the operator knows the daemon shares our filesystem);
     * {@link FilesMode#AUTO} only says yes when it can tell it is safe.
     */
    static BindFiles decide(FilesMode mode, URI dockerHost, Path root) {
        if (mode == FilesMode.ARCHIVE) {
            return off();
        }
        String why = mode == FilesMode.AUTO ? whyNotAuto(dockerHost) : null;
        if (why != null) {
            return off("uploaded with the archive API (" + why + ")");
        }
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, OWNER_ONLY);
        } catch (IOException | UnsupportedOperationException e) {
            if (mode == FilesMode.BIND) {
                throw new RunnerException(ErrorCode.INVALID_REQUEST, "files mode bind: cannot prepare " + root + ": " + e, e);
            }
            return off("uploaded with the archive API (" + root + " is unusable: " + e + ")");
        }
        return new BindFiles(root, "bind-mounted from " + root + (mode == FilesMode.BIND ? " (files mode bind)"
                : " (the daemon is local, shares our filesystem, and we run as root)"));
    }

    /** Null when AUTO may bind-mount; otherwise the reason it may not. */
    private static String whyNotAuto(URI dockerHost) {
        if (dockerHost == null || !"unix".equals(dockerHost.getScheme())) {
            return "the daemon is not on a local unix socket";
        }
        if (!sharesFilesystemWithDaemon(Path.of(dockerHost.getPath()))) {
            return "the daemon on " + dockerHost.getPath() + " is not a process sharing this one's filesystem";
        }
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (!Integer.valueOf(0).equals(uid)) {
                return "not running as root, so files a workload leaves could not always be deleted";
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "cannot tell which user this process runs as";
        }
        return null;
    }

    /**
     * True when the daemon listening on {@code socket} is a process in this process's mount namespace, so a host path
     * means the same to both. Being in a container is not the test: a daemon may run in the same container, as on our
     * CI machines. The cases to rule out are a socket mounted in from elsewhere (its listener is not among our
     * processes) and another daemon merely running next to us. So: the listening socket bound at that path is looked
     * up in /proc/net/unix, and it must be among the open files of a {@code dockerd} process of our mount namespace.
     */
    static boolean sharesFilesystemWithDaemon(Path socket) {
        try {
            Set<String> listening = listeningSocketInodes(socket);
            if (listening.isEmpty()) {
                return false;
            }
            Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"));
            try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path process : processes) {
                    if (isDockerdHere(process, ours) && holdsAny(process, listening)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Inodes (as in {@code socket:[inode]}) of the listening unix sockets bound at that path. */
    private static Set<String> listeningSocketInodes(Path socket) throws IOException {
        Path wanted = realOrNormal(socket);
        Set<String> inodes = new HashSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
            // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 is __SO_ACCEPTCON: a listener.
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 8 && fields[3].equals("00010000") && fields[7].startsWith("/")
                    && realOrNormal(Path.of(fields[7])).equals(wanted)) {
                inodes.add("socket:[" + fields[6] + "]");
            }
        }
        return inodes;
    }

    private static Path realOrNormal(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    private static boolean isDockerdHere(Path process, Path ourMountNamespace) {
        try {
            return Files.readString(process.resolve("comm")).trim().equals("dockerd")
                    && ourMountNamespace.equals(Files.readSymbolicLink(process.resolve("ns/mnt")));
        } catch (IOException | RuntimeException gone) {
            return false; // ended meanwhile, or not ours to look into
        }
    }

    private static boolean holdsAny(Path process, Set<String> sockets) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (sockets.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException closed) {
                    // closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    boolean enabled() {
        return root != null;
    }

    /** Whether this run can take its files by bind mount (the image's workdir is checked separately). */
    boolean suits(RunSpec spec) {
        return enabled() && (FilesTar.needed(spec) || extractsFromWorkdir(spec))
                && Ownership.isNumeric(spec.limits().user()) && !KERNEL_FOLDERS.matcher(spec.workdir()).matches();
    }

    /** The kernel's own folders are mounted by the runtime: never put a folder of ours over them. */
    private static final Pattern KERNEL_FOLDERS = Pattern.compile("/(proc|sys|dev)(/.*)?");

    /** A run that extracts from its workdir gains from the mount too: its files are then read straight from the host. */
    private static boolean extractsFromWorkdir(RunSpec spec) {
        return spec.extraction() != null && spec.extraction().paths().stream()
                .anyMatch(path -> path.equals(spec.workdir()) || path.startsWith(spec.workdir() + "/"));
    }

    Path folderOf(String runId) {
        return root.resolve(runId);
    }

    /**
     * Writes the run's files and stdin into its fresh folder, owned and moded as the archive upload would have them.
     * The folder is new and no container has seen it yet, so nothing in it can be a planted link.
     *
     * @throws RunnerException {@link ErrorCode#START_FAILED} when the folder already exists: it belongs to another
     *                         run with this id (another runner on the same root, or a crashed run awaiting the
     *                         reaper) and is left as it is
     */
    Path prepare(RunSpec spec) {
        Path folder = folderOf(spec.runId());
        Ownership owner = Ownership.of(spec.limits().user());
        try {
            Files.createDirectory(folder);
        } catch (FileAlreadyExistsException taken) {
            throw new RunnerException(ErrorCode.START_FAILED, "the files folder of run " + spec.runId() + " already"
                    + " exists (" + folder + "): the run id is in use, or a crashed run's folder awaits the reaper", taken);
        } catch (IOException | RuntimeException e) {
            throw new RunnerException(ErrorCode.START_FAILED, "creating the files folder of run " + spec.runId()
                    + " failed: " + e, e);
        }
        // From here on the folder is this run's own: a failure deletes it.
        try {
            own(folder, owner, owner.folderMode());
            writeFiles(folder, spec);
            return folder;
        } catch (IOException | RuntimeException e) {
            delete(spec.runId());
            throw new RunnerException(ErrorCode.START_FAILED, "writing the files of run " + spec.runId() + " failed: " + e, e);
        }
    }

    /**
     * A warm pool's container folder: new, empty, owned by the pool's user, named {@code name} (a pooled container's
     * name, never a run id). Its runs' files are written into it when a run claims the container ({@link #fill}).
     */
    Path preparePool(String name, String user) throws IOException {
        Path folder = folderOf(name);
        Ownership owner = Ownership.of(user);
        Files.createDirectory(folder);
        try {
            own(folder, owner, owner.folderMode());
        } catch (IOException | RuntimeException e) {
            delete(name);
            throw e;
        }
        return folder;
    }

    /**
     * Writes a run's files and stdin into a claimed pooled container's folder. Only the pool's own waiting shell has
     * run in that container so far, so nothing in the folder is a workload's; files are still created new, never
     * opened through a link.
     */
    void fill(Path folder, RunSpec spec) throws IOException {
        writeFiles(folder, spec);
    }

    /** Writes {@code content} as a new file readable by the run's user only (a control file of a warm start). */
    static void writePrivate(Path file, byte[] content, String user) throws IOException {
        Ownership owner = Ownership.of(user);
        Files.write(file, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        own(file, owner, owner.stdinMode());
    }

    /** Sets a control file's owner and mode (0600 to the run's user), as {@link #writePrivate} does. */
    static void ownPrivate(Path file, String user) throws IOException {
        Ownership owner = Ownership.of(user);
        own(file, owner, owner.stdinMode());
    }

    private static void writeFiles(Path folder, RunSpec spec) throws IOException {
        Ownership owner = Ownership.of(spec.limits().user());
        for (String sub : FilesTar.foldersOf(spec.files().keySet())) {
            Path dir = folder.resolve(sub);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir);
            }
            own(dir, owner, owner.folderMode());
        }
        for (Map.Entry<String, byte[]> file : new TreeMap<>(spec.files()).entrySet()) {
            Path target = folder.resolve(file.getKey());
            Files.write(target, file.getValue(), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            own(target, owner, owner.fileMode());
        }
        if (spec.stdin() != null) {
            Path target = folder.resolve(FilesTar.STDIN_FILE);
            Files.write(target, spec.stdin(), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            own(target, owner, owner.stdinMode());
        }
    }

    private static void own(Path path, Ownership owner, int mode) throws IOException {
        Files.setPosixFilePermissions(path, permissions(mode));
        if (owner.uid() != 0 || owner.gid() != 0) {
            Files.setAttribute(path, "unix:uid", (int) owner.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", (int) owner.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder text = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int bit = 8; bit >= 0; bit--) {
            text.append((mode & (1 << bit)) != 0 ? letters.charAt(8 - bit) : '-');
        }
        return PosixFilePermissions.fromString(text.toString());
    }

    /**
     * Deletes a run's folder and whatever the workload left in it. Links are deleted as links, never followed, so a
     * link to a host path cannot make us delete anything outside the folder. Safe to call when there is none.
     */
    void delete(String runId) {
        if (root == null || runId == null) {
            return;
        }
        Path folder = folderOf(runId);
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            // walkFileTree does not follow links unless asked to (FOLLOW_LINKS is not passed).
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    // A workload may leave a folder it made unreadable to us (we may not be root under BIND).
                    if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
                        Files.setPosixFilePermissions(dir, OWNER_ONLY);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException e) {
            log.warn("run {} - could not delete its files folder {}: {}", runId, folder, e.toString());
        }
    }

    /** Deletes the folders of runs that {@code keep} does not claim and that were made before {@code cutoff}. */
    List<String> reap(Instant cutoff, Predicate<String> keep) {
        return reap(cutoff, keep, name -> true);
    }

    /** Like {@link #reap(Instant, Predicate)}, only among the folders whose name {@code among} accepts. */
    List<String> reap(Instant cutoff, Predicate<String> keep, Predicate<String> among) {
        List<String> removed = new ArrayList<>();
        if (root == null) {
            return removed;
        }
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(root)) {
            for (Path folder : folders) {
                String runId = folder.getFileName().toString();
                if (keep.test(runId) || !among.test(runId)) {
                    continue;
                }
                Instant modified = Files.getLastModifiedTime(folder, LinkOption.NOFOLLOW_LINKS).toInstant();
                if (modified.isBefore(cutoff)) {
                    delete(runId);
                    removed.add(runId);
                }
            }
        } catch (IOException e) {
            log.warn("reaper - could not list {}: {}", root, e.toString());
        }
        return removed;
    }
}
