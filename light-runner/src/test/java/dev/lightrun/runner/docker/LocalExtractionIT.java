package dev.lightrun.runner.docker;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.SkippedEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Extraction of paths under a bind-mounted workdir, read straight from the run's host folder, against the Engine's
 * archive as the reference: the same entries, bytes, missing paths and refusals; only regular files and folders, owned
 * by us with mode 0644; a link on the way, or a link anywhere, never makes us read a host path; hard-linked into the
 * destination on one filesystem, copied across two.
 */
class LocalExtractionIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    private static final String NOBODY = "65534:65534";
    private static final byte[] SEED = new byte[3 * 1024 * 1024];
    private static final Object OUR_UID;
    private static final Object OUR_GID;

    static {
        new Random(20261127L).nextBytes(SEED);
        try {
            OUR_UID = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            OUR_GID = Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @TempDir
    static Path roots;
    static Path bindRoot;
    static DockerRunner archiveRunner;
    static DockerRunner bindRunner;

    @BeforeAll
    static void startRunners() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        bindRoot = roots.resolve("bind");
        archiveRunner = DockerRunner.builder().filesMode(FilesMode.ARCHIVE).filesRoot(roots.resolve("archive"))
                .instance("local-extract-it-archive-" + suffix).build();
        bindRunner = DockerRunner.builder().filesMode(FilesMode.BIND).filesRoot(bindRoot)
                .instance("local-extract-it-bind-" + suffix).build();
    }

    @AfterAll
    static void closeRunners() {
        try {
            archiveRunner.close();
        } finally {
            bindRunner.close();
        }
    }

    /** The bind runner's root is empty after every test: no run's folder outlives it, whatever was extracted. */
    @AfterEach
    void bindRootIsEmpty() throws IOException {
        try (Stream<Path> left = Files.list(bindRoot)) {
            assertThat(left).as("folders left in the bind runner's files root").isEmpty();
        }
    }

    /** A first run of busybox at /app on the bind runner, so that its later runs there are really bind-mounted. */
    private static void warmUp() throws Exception {
        RunResult warm = bindRunner.run(docker.busybox("cat warm.txt").file("warm.txt", "warm").build());
        assertThat(warm.status()).as(describe(warm)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(warm.stdout()).isEqualTo("warm");
    }

    /** The same spec (fresh run id each) on both runners, each extracting into its own {@code <base>/dest}. */
    private record Pair(RunResult archive, Path archiveDest, RunResult bind, Path bindDest) {
    }

    private static Pair runBoth(Path temp, Function<Path, RunSpec> spec) throws Exception {
        Path archiveDest = Files.createDirectories(temp.resolve("archive/dest"));
        Path bindDest = Files.createDirectories(temp.resolve("bind/dest"));
        RunResult archived = archiveRunner.run(spec.apply(archiveDest));
        RunResult bound = bindRunner.run(spec.apply(bindDest));
        assertThat(Files.exists(bindRoot.resolve(bound.runId()), LinkOption.NOFOLLOW_LINKS))
                .as("the host folder of " + describe(bound)).isFalse();
        return new Pair(archived, archiveDest, bound, bindDest);
    }

    private static void assertBound(RunResult result) {
        assertThat(result.timings()).as("phases of " + describe(result)).containsKey("files").doesNotContainKey("upload");
    }

    /** Each entry under {@code root} (links not followed): "dir", "file <size> <sha256>" or what else it is. */
    private static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String what = a.isDirectory() ? "dir"
                        : a.isRegularFile() ? "file " + a.size() + " " + DockerTestSupport.sha256(Files.readAllBytes(p))
                        : a.isSymbolicLink() ? "symlink" : "other";
                found.put(root.relativize(p).toString(), what);
            }
        }
        return found;
    }

    private static int links(Path file) throws IOException {
        return (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    private static Object inode(Path file) throws IOException {
        return Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    /** Every regular file under {@code root} is ours, 0644, and nothing but files and folders is there. */
    private static void assertOursAndHarmless(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.filter(p -> !p.equals(root)).toList();
        }
        assertThat(all).isNotEmpty();
        for (Path p : all) {
            assertThat(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .as("%s is a folder or a regular file", p).isTrue();
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as("owner of %s", p).isEqualTo(OUR_UID);
                assertThat(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).as("group of %s", p).isEqualTo(OUR_GID);
                assertThat(Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)).as("mode of %s", p)
                        .isEqualTo(0100644); // a regular file, rw-r--r--, no set-uid/set-gid/sticky bit
                assertThat(Files.isReadable(p)).as("%s readable", p).isTrue();
            }
        }
    }

    /**
     * The workload of the equivalence tests, as user nobody: nested folders, an empty file, a 3 MiB random one (handed
     * in, so both runs hold the same bytes), a symlink to a host-looking file and one to a folder, a fifo, a hard-link
     * pair, a set-uid file and an unreadable one. It prints the inode of random.bin, the modes it set, and its hostname.
     */
    private static final String TREE_WORKLOAD = String.join("\n", "set -e",
            "mkdir -p out/sub/deeper out/empty-dir",
            "echo file > out/sub/file.txt",
            "echo deep > out/sub/deeper/deep.txt",
            ": > out/empty.txt",
            "cp seed.bin out/random.bin",
            "ln -s /etc/passwd out/passwd-link",
            "ln -s /etc out/etc-link",
            "mkfifo out/fifo",
            "echo pair > out/pair-a",
            "ln out/pair-a out/pair-b",
            "echo suid > out/suid.sh && chmod 4755 out/suid.sh",
            "echo locked > out/locked.txt && chmod 000 out/locked.txt",
            "stat -c '%i' out/random.bin",
            "stat -c '%a %h' out/suid.sh out/locked.txt out/pair-a",
            "cat /etc/hostname");

    @Test
    void bindExtractsTheSameEntriesBytesAndMissingPathsAsTheArchiveAndOnlyHarmlessFilesOfOurs(@TempDir Path temp)
            throws Exception {
        warmUp();

        Pair pair = runBoth(temp, dest -> docker.busybox(TREE_WORKLOAD).file("seed.bin", SEED)
                .limits(Limits.DEFAULTS.withUser(NOBODY))
                .extraction(Extraction.of(dest, "/app/out", "/app/out/sub/file.txt", "/app/none", "/etc/hostname"))
                .build());

        RunResult archived = pair.archive();
        RunResult bound = pair.bind();
        assertThat(archived.status()).as(describe(archived)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(bound.status()).as(describe(bound)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(archived.timings()).containsKey("upload").doesNotContainKey("files");
        assertBound(bound);
        List<String> archivedOut = archived.stdout().lines().toList();
        List<String> boundOut = bound.stdout().lines().toList();
        assertThat(archivedOut.subList(1, 4)).as("what the workload made").containsExactly("4755 1", "0 1", "644 2");
        assertThat(boundOut.subList(1, 4)).as("what the workload made").containsExactly("4755 1", "0 1", "644 2");
        String archivedHostname = archivedOut.get(4);
        String boundHostname = boundOut.get(4);

        // The archive lists the tree walked in name order, and copyTree sorts each folder the same way: even the order
        // of the entries is the same. The one difference is the hard-link pair: the Engine's tar gives its second name
        // as a hard link to the first (skipped: we write no links), the host folder shows two names of one regular
        // file, so the bind side extracts both (as two names of one inode, see below).
        List<ExtractedEntry> common = List.of(
                new ExtractedEntry("out", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/empty-dir", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/empty.txt", 0, EntryType.FILE),
                new ExtractedEntry("out/locked.txt", 7, EntryType.FILE),
                new ExtractedEntry("out/pair-a", 5, EntryType.FILE),
                new ExtractedEntry("out/random.bin", SEED.length, EntryType.FILE),
                new ExtractedEntry("out/sub", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/sub/deeper", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/sub/deeper/deep.txt", 5, EntryType.FILE),
                new ExtractedEntry("out/sub/file.txt", 5, EntryType.FILE),
                new ExtractedEntry("out/suid.sh", 5, EntryType.FILE),
                new ExtractedEntry("file.txt", 5, EntryType.FILE));
        List<ExtractedEntry> archivedExpected = new ArrayList<>(common);
        archivedExpected.add(new ExtractedEntry("hostname", archivedHostname.length() + 1, EntryType.FILE));
        List<ExtractedEntry> boundExpected = new ArrayList<>(common);
        boundExpected.add(5, new ExtractedEntry("out/pair-b", 5, EntryType.FILE));
        boundExpected.add(new ExtractedEntry("hostname", boundHostname.length() + 1, EntryType.FILE));
        assertThat(archived.entries()).containsExactlyElementsOf(archivedExpected);
        assertThat(bound.entries()).containsExactlyElementsOf(boundExpected);

        assertThat(archived.missingPaths()).containsExactly("/app/none");
        assertThat(bound.missingPaths()).containsExactly("/app/none");
        assertThat(archived.skipped()).containsExactly(
                new SkippedEntry("out/etc-link", "symbolic link skipped, never followed"),
                new SkippedEntry("out/fifo", "fifo skipped, never followed"),
                new SkippedEntry("out/pair-b", "hard link skipped, never followed"),
                new SkippedEntry("out/passwd-link", "symbolic link skipped, never followed"));
        // The host folder's fifo is only known as "not a file, folder or link" there.
        assertThat(bound.skipped()).containsExactly(
                new SkippedEntry("out/etc-link", "symbolic link skipped, never followed"),
                new SkippedEntry("out/fifo", "special entry skipped, never followed"),
                new SkippedEntry("out/passwd-link", "symbolic link skipped, never followed"));

        Map<String, String> archivedTree = tree(pair.archiveDest());
        Map<String, String> boundTree = tree(pair.bindDest());
        assertThat(archivedTree.remove("hostname")).isEqualTo("file " + (archivedHostname.length() + 1) + " "
                + DockerTestSupport.sha256((archivedHostname + "\n").getBytes(StandardCharsets.UTF_8)));
        assertThat(boundTree.remove("hostname")).isEqualTo("file " + (boundHostname.length() + 1) + " "
                + DockerTestSupport.sha256((boundHostname + "\n").getBytes(StandardCharsets.UTF_8)));
        assertThat(boundTree.remove("out/pair-b")).isEqualTo(boundTree.get("out/pair-a"));
        assertThat(boundTree).isEqualTo(archivedTree);
        assertThat(boundTree.get("out/random.bin")).isEqualTo("file " + SEED.length + " " + DockerTestSupport.sha256(SEED));
        assertThat(boundTree.get("out/locked.txt")).isEqualTo("file 7 " + DockerTestSupport.sha256("locked\n".getBytes(StandardCharsets.UTF_8)));

        Path bindDest = pair.bindDest();
        assertOursAndHarmless(bindDest);
        assertThat(DockerTestSupport.children(bindDest.getParent())).as("written beside the destination").containsExactly("dest");
        assertThat(DockerTestSupport.children(pair.archiveDest().getParent())).as("written beside the destination").containsExactly("dest");
        // One filesystem: the workload's file itself was linked in (the inode it saw), not copied; its name in the
        // run's folder is gone with the folder, so this is its only name now.
        assertThat(Files.getAttribute(bindDest, "unix:dev")).isEqualTo(Files.getAttribute(bindRoot, "unix:dev"));
        assertThat(inode(bindDest.resolve("out/random.bin")).toString()).isEqualTo(boundOut.get(0));
        assertThat(links(bindDest.resolve("out/random.bin"))).isEqualTo(1);
        // The pair stays one inode with two names in the destination (the archive side has only pair-a): writing
        // through one name changes the other. Both are ours and 0644 like every other file.
        assertThat(inode(bindDest.resolve("out/pair-b"))).isEqualTo(inode(bindDest.resolve("out/pair-a")));
        assertThat(links(bindDest.resolve("out/pair-a"))).isEqualTo(2);
        assertThat(links(pair.archiveDest().resolve("out/pair-a"))).isEqualTo(1);
    }

    @Test
    void aLinkOnTheWayLeavesThePathToTheEngineAndNoHostPathIsRead(@TempDir Path temp) throws Exception {
        warmUp();
        Path hostFolder = Files.createDirectories(temp.resolve("host-only"));
        Path secret = Files.writeString(hostFolder.resolve("secret.txt"), "host secret\n");
        String hostHostname = Files.readString(Path.of("/etc/hostname"));

        Pair pair = runBoth(temp, dest -> docker.busybox(String.join("; ",
                        "ln -s /etc out",
                        "ln -s " + hostFolder + " hostlink",
                        "mkdir real && echo real > real/r.txt && ln -s real viareal",
                        "cat /etc/hostname"))
                .file("in.txt", "in")
                .extraction(Extraction.of(dest, "/app/out/hostname", "/app/out", "/app/hostlink/secret.txt",
                        "/app/viareal/r.txt"))
                .build());

        for (RunResult result : List.of(pair.archive(), pair.bind())) {
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            String hostname = result.stdout();
            // The Engine resolves the links inside the container: its /etc/hostname, the folder beside the link.
            assertThat(result.entries()).containsExactly(
                    new ExtractedEntry("hostname", hostname.length(), EntryType.FILE),
                    new ExtractedEntry("r.txt", 5, EntryType.FILE));
            assertThat(result.skipped()).containsExactly(new SkippedEntry("out", "symbolic link skipped, never followed"));
            assertThat(result.missingPaths()).as("a host folder means nothing inside the container")
                    .containsExactly("/app/hostlink/secret.txt");
        }
        assertBound(pair.bind());
        for (Path dest : List.of(pair.archiveDest(), pair.bindDest())) {
            assertThat(DockerTestSupport.children(dest)).containsExactly("hostname", "r.txt");
            assertThat(dest.resolve("r.txt")).hasContent("real\n");
            assertThat(DockerTestSupport.children(dest.getParent())).containsExactly("dest");
        }
        assertThat(pair.archiveDest().resolve("hostname")).hasContent(pair.archive().stdout());
        assertThat(pair.bindDest().resolve("hostname")).hasContent(pair.bind().stdout());
        if (!pair.bind().stdout().equals(hostHostname)) {
            assertThat(Files.readString(pair.bindDest().resolve("hostname"))).as("the host's /etc/hostname")
                    .isNotEqualTo(hostHostname);
        }
        assertThat(links(pair.bindDest().resolve("hostname"))).isEqualTo(1);
        assertThat(secret).hasContent("host secret\n");
        assertThat(DockerTestSupport.children(hostFolder)).containsExactly("secret.txt");
        assertOursAndHarmless(pair.bindDest());
    }

    @Test
    void capsRefuseTheWholeBindExtractionAsTheArchiveDoesLeavingWhatWasThere(@TempDir Path temp) throws Exception {
        warmUp();
        record Capped(String name, String workload, long entryCap, long totalCap, List<String> paths, String message) {
        }
        List<Capped> cases = List.of(
                new Capped("entry", "echo small > small.txt; mkdir out; echo x > out/x.txt;"
                        + " head -c 4096 /dev/zero > out/big.bin", 1024, 1024 * 1024, List.of("/app/small.txt", "/app/out"),
                        "extraction refused: out/big.bin is 4096 bytes, over the per-file cap of 1024"),
                new Capped("total", "head -c 600 /dev/zero > a.bin; mkdir b; head -c 600 /dev/zero > b/b.bin",
                        1000, 1000, List.of("/app/a.bin", "/app/b"),
                        "extraction refused: extracted files exceed the total cap of 1000 bytes at b/b.bin"),
                // A folder named with a trailing slash is still extracted (and deleted on refusal) under its name.
                new Capped("slash", "echo small > small.txt; mkdir out; echo x > out/x.txt;"
                        + " head -c 4096 /dev/zero > out/big.bin", 1024, 1024 * 1024, List.of("/app/small.txt", "/app/out/"),
                        "extraction refused: out/big.bin is 4096 bytes, over the per-file cap of 1024"));

        for (Capped c : cases) {
            Path base = Files.createDirectories(temp.resolve(c.name()));
            Pair pair = runBoth(base, dest -> {
                try {
                    Files.writeString(dest.resolve("keep.txt"), "was there");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return docker.busybox(c.workload()).file("in.txt", "in")
                        .extraction(new Extraction(c.paths(), dest, ExtractPolicy.ON_SUCCESS,
                                c.entryCap(), c.totalCap()))
                        .build();
            });

            assertBound(pair.bind());
            for (RunResult result : List.of(pair.archive(), pair.bind())) {
                assertThat(result.status()).as(c.name() + ": " + describe(result)).isEqualTo(RunStatus.FAILED);
                assertThat(result.exitCode()).isZero();
                assertThat(result.error().code()).isEqualTo(ErrorCode.EXTRACTION_REFUSED);
                assertThat(result.error().message()).as(c.name()).isEqualTo(c.message());
                assertThat(result.entries()).isEmpty();
            }
            for (Path dest : List.of(pair.archiveDest(), pair.bindDest())) {
                assertThat(DockerTestSupport.children(dest)).as(c.name() + ": left in " + dest).containsExactly("keep.txt");
                assertThat(dest.resolve("keep.txt")).hasContent("was there");
                assertThat(DockerTestSupport.children(dest.getParent())).containsExactly("dest");
            }
        }
    }

    @Test
    void aDestinationOnAnotherFilesystemGetsCopiesOfOursNotLinks() throws Exception {
        warmUp();
        // /dev/shm is a tmpfs; the files root is under the temp folder, on the disk.
        Path dest = Files.createTempDirectory(Path.of("/dev/shm"), "local-extract-it-");
        try {
            assertThat(Files.getAttribute(dest, "unix:dev")).as("device of " + dest + " and of " + bindRoot)
                    .isNotEqualTo(Files.getAttribute(bindRoot, "unix:dev"));
            assertThat(Files.getFileStore(dest).type()).isNotEqualTo(Files.getFileStore(bindRoot).type());

            RunResult result = bindRunner.run(docker.busybox(String.join("; ",
                            "mkdir -p out/sub", "cp seed.bin out/random.bin", "echo pair > out/pair-a",
                            "ln out/pair-a out/pair-b", "echo suid > out/sub/suid.sh", "chmod 4755 out/sub/suid.sh",
                            "echo locked > out/locked.txt", "chmod 000 out/locked.txt"))
                    .file("seed.bin", SEED).limits(Limits.DEFAULTS.withUser(NOBODY))
                    .extraction(Extraction.of(dest, "/app/out")).build());

            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertBound(result);
            assertThat(result.entries()).containsExactly(
                    new ExtractedEntry("out", 0, EntryType.DIRECTORY),
                    new ExtractedEntry("out/locked.txt", 7, EntryType.FILE),
                    new ExtractedEntry("out/pair-a", 5, EntryType.FILE),
                    new ExtractedEntry("out/pair-b", 5, EntryType.FILE),
                    new ExtractedEntry("out/random.bin", SEED.length, EntryType.FILE),
                    new ExtractedEntry("out/sub", 0, EntryType.DIRECTORY),
                    new ExtractedEntry("out/sub/suid.sh", 5, EntryType.FILE));
            assertThat(DockerTestSupport.sha256(Files.readAllBytes(dest.resolve("out/random.bin")))).isEqualTo(DockerTestSupport.sha256(SEED));
            assertThat(dest.resolve("out/locked.txt")).hasContent("locked\n");
            assertThat(dest.resolve("out/sub/suid.sh")).hasContent("suid\n");
            assertOursAndHarmless(dest);
            // Copies: each file its own inode, the pair included.
            for (String file : List.of("out/random.bin", "out/pair-a", "out/pair-b", "out/locked.txt", "out/sub/suid.sh")) {
                assertThat(links(dest.resolve(file))).as("links of " + file).isEqualTo(1);
            }
            assertThat(inode(dest.resolve("out/pair-b"))).isNotEqualTo(inode(dest.resolve("out/pair-a")));
            assertThat(dest.resolve("out/pair-b")).hasContent("pair\n");
        } finally {
            try (Stream<Path> tree = Files.walk(dest)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aRunExtractingFromItsWorkdirIsBoundWithoutFilesAndOneExtractingElsewhereIsNot(@TempDir Path temp)
            throws Exception {
        warmUp();
        Path fromWorkdir = temp.resolve("from-workdir");
        Path fromElsewhere = temp.resolve("from-elsewhere");

        RunResult workdir = bindRunner.run(docker.busybox("echo result > result.txt")
                .extraction(Extraction.of(fromWorkdir, "/app/result.txt")).build());
        RunResult elsewhere = bindRunner.run(docker.busybox("echo result > /tmp/result.txt")
                .extraction(Extraction.of(fromElsewhere, "/tmp/result.txt")).build());

        assertThat(workdir.status()).as(describe(workdir)).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(workdir);
        assertThat(workdir.entries()).containsExactly(new ExtractedEntry("result.txt", 7, EntryType.FILE));
        assertThat(fromWorkdir.resolve("result.txt")).hasContent("result\n");
        assertOursAndHarmless(fromWorkdir);
        assertThat(elsewhere.status()).as(describe(elsewhere)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(elsewhere.timings()).as("phases of " + describe(elsewhere)).doesNotContainKeys("files", "upload");
        assertThat(elsewhere.entries()).containsExactly(new ExtractedEntry("result.txt", 7, EntryType.FILE));
        assertThat(fromElsewhere.resolve("result.txt")).hasContent("result\n");
    }

    @Test
    void theWorkdirItselfAndPathsWithATrailingSlashAreExtractedUnderTheirNamesAsTheEngineDoes(@TempDir Path temp)
            throws Exception {
        warmUp();

        Pair pair = runBoth(temp, dest -> docker.busybox(
                        "mkdir out real && echo o > out/o.txt && echo r > real/r.txt && ln -s real linked")
                .file("in.txt", "in\n")
                .extraction(Extraction.of(dest, "/app/", "/app/linked/")).build());

        assertThat(pair.archive().status()).as(describe(pair.archive())).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(pair.bind().status()).as(describe(pair.bind())).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(pair.bind());
        // The Engine follows a link named with a trailing slash (the name asks for the folder it points to).
        List<ExtractedEntry> expected = List.of(
                new ExtractedEntry("app", 0, EntryType.DIRECTORY),
                new ExtractedEntry("app/in.txt", 3, EntryType.FILE),
                new ExtractedEntry("app/out", 0, EntryType.DIRECTORY),
                new ExtractedEntry("app/out/o.txt", 2, EntryType.FILE),
                new ExtractedEntry("app/real", 0, EntryType.DIRECTORY),
                new ExtractedEntry("app/real/r.txt", 2, EntryType.FILE),
                new ExtractedEntry("linked", 0, EntryType.DIRECTORY),
                new ExtractedEntry("linked/r.txt", 2, EntryType.FILE));
        assertThat(pair.archive().entries()).containsExactlyElementsOf(expected);
        assertThat(pair.bind().entries()).containsExactlyElementsOf(expected);
        List<SkippedEntry> skipped = List.of(new SkippedEntry("app/linked", "symbolic link skipped, never followed"));
        assertThat(pair.archive().skipped()).isEqualTo(skipped);
        assertThat(pair.bind().skipped()).isEqualTo(skipped);
        assertThat(tree(pair.bindDest())).isEqualTo(tree(pair.archiveDest()));
        assertOursAndHarmless(pair.bindDest());
    }
}
