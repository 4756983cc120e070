package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.lightrun.runner.docker.DockerTestSupport.BUSYBOX;
import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static dev.lightrun.runner.docker.DockerTestSupport.dockerCli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The two ways of giving a run its files ({@link FilesMode}): the archive upload and the bind-mounted host folder give
 * the workload the same files, owners and modes; bind is only used where it cannot hide image content; the host
 * folder is gone after every kind of ending (and reaped after a crash) without ever following what the workload
 * planted in it; AUTO picks bind only for a local daemon.
 */
class FilesModeIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    /** Cached build images are shared by every instance on the daemon: the reaps here leave them alone. */
    private static final Duration KEEP_IMAGES = Duration.ofDays(3650);
    private static final Duration SEEN = Duration.ofSeconds(15);
    private static final String NOBODY = "65534:65534";
    private static final byte[] BLOB = new byte[1024 * 1024];
    private static final String STDIN;

    static {
        new Random(20261127).nextBytes(BLOB);
        StringBuilder text = new StringBuilder();
        for (int line = 0; text.length() < 200_000; line++) {
            text.append("line ").append(line).append(" of the input, past the 64 KiB of a pipe\n");
        }
        STDIN = text.toString();
    }

    @TempDir
    static Path roots;
    static Path bindRoot;
    static DockerRunner archiveRunner;
    static DockerRunner bindRunner;
    static String bindInstance;

    @BeforeAll
    static void startRunners() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        bindRoot = roots.resolve("bind");
        archiveRunner = DockerRunner.builder().filesMode(FilesMode.ARCHIVE).filesRoot(roots.resolve("archive"))
                .instance("files-it-archive-" + suffix).build();
        bindInstance = "files-it-bind-" + suffix;
        bindRunner = DockerRunner.builder().filesMode(FilesMode.BIND).filesRoot(bindRoot).instance(bindInstance).build();
    }

    @AfterAll
    static void closeRunners() {
        try {
            archiveRunner.close();
        } finally {
            bindRunner.close();
        }
    }

    /** Every run of the bind runner (and everything a test planted) is gone from the files root after each test. */
    @AfterEach
    void bindRootIsEmpty() throws IOException {
        assertThat(DockerTestSupport.children(bindRoot)).as("folders left in the bind runner's files root").isEmpty();
        assertThat(roots.resolve("archive")).as("an archive runner makes no files root").doesNotExist();
    }

    /**
     * A run of busybox at {@code workdir} on the bind runner, so that its image id and workdir are known to be free and
     * the next runs there are bind-mounted (the first run of an image per runner always uploads and looks).
     */
    private static void warmUp(String workdir) throws Exception {
        RunResult warm = bindRunner.run(docker.busybox("cat warm.txt").workdir(workdir).file("warm.txt", "warm").build());
        assertThat(warm.status()).as(describe(warm)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(warm.stdout()).isEqualTo("warm");
    }

    private static void assertBound(RunResult result) {
        assertThat(result.timings()).as("phases of " + describe(result)).containsKey("files").doesNotContainKey("upload");
    }

    private static void assertUploaded(RunResult result) {
        assertThat(result.timings()).as("phases of " + describe(result)).containsKey("upload").doesNotContainKey("files");
    }

    /** The same workloads, with fresh run ids each call, and what each must print whichever way its files came. */
    private record Case(RunSpec spec, String expected) {
    }

    private static List<Case> equivalenceCases() throws Exception {
        return List.of(
                new Case(docker.busybox("find a | sort; cat a/b/c.txt; stat -c '%n %a %u:%g' . a a/b a/b/c.txt a/top.txt")
                        .file("a/b/c.txt", "deep\n").file("a/top.txt", "top\n").build(),
                        """
                        a
                        a/b
                        a/b/c.txt
                        a/top.txt
                        deep
                        . 755 0:0
                        a 755 0:0
                        a/b 755 0:0
                        a/b/c.txt 644 0:0
                        a/top.txt 644 0:0
                        """),
                new Case(docker.busybox("stat -c '%s' blob.bin; sha256sum blob.bin").file("blob.bin", BLOB).build(),
                        BLOB.length + "\n" + DockerTestSupport.sha256(BLOB) + "  blob.bin\n"),
                new Case(docker.busybox("cat | sha256sum; cat; ls -A").stdin(STDIN).build(),
                        DockerTestSupport.sha256(STDIN.getBytes(StandardCharsets.UTF_8)) + "  -\n"),
                new Case(docker.busybox("id -u; id -g; echo made > made.txt && cat made.txt;"
                                + " stat -c '%n %u:%g %a' . in.txt made.txt; cat; ls -A")
                        .file("in.txt", "in\n").stdin("from stdin\n").limits(Limits.DEFAULTS.withUser(NOBODY)).build(),
                        """
                        65534
                        65534
                        made
                        . 65534:65534 755
                        in.txt 65534:65534 644
                        made.txt 65534:65534 644
                        from stdin
                        in.txt
                        made.txt
                        """),
                new Case(docker.busybox("pwd; cat x.txt; stat -c '%n %a %u' . x.txt").workdir("/work/deep/dir")
                        .file("x.txt", "custom\n").build(),
                        """
                        /work/deep/dir
                        custom
                        . 755 0
                        x.txt 644 0
                        """));
    }

    @Test
    void archiveAndBindGiveTheWorkloadTheSameFilesOwnersAndInput() throws Exception {
        warmUp("/app");
        warmUp("/work/deep/dir");
        List<String> archived = new ArrayList<>();
        List<String> bound = new ArrayList<>();

        for (Case c : equivalenceCases()) {
            RunResult result = archiveRunner.run(c.spec());
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertUploaded(result);
            assertThat(result.stdout()).as("archive: " + c.spec().entrypoint()).isEqualTo(c.expected());
            archived.add(result.stdout());
        }
        for (Case c : equivalenceCases()) {
            RunResult result = bindRunner.run(c.spec());
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertBound(result);
            assertThat(result.stdout()).as("bind: " + c.spec().entrypoint()).isEqualTo(c.expected());
            bound.add(result.stdout());
        }

        assertThat(bound).isEqualTo(archived);
    }

    @Test
    void aRunnersFirstRunOfAnImageUploadsAndLooksAndOnlySuitableRunsAreBoundAfterwards() throws Exception {
        try (DockerRunner fresh = DockerRunner.builder().filesMode(FilesMode.BIND).filesRoot(bindRoot)
                .instance("files-it-fresh-" + UUID.randomUUID().toString().substring(0, 8)).build()) {
            RunResult first = fresh.run(docker.busybox("cat f.txt").file("f.txt", "first").build());
            RunResult second = fresh.run(docker.busybox("cat f.txt").file("f.txt", "second").build());
            RunResult namedUser = fresh.run(docker.busybox("id -un; cat f.txt").file("f.txt", "named")
                    .limits(Limits.DEFAULTS.withUser("nobody")).build());
            RunResult nothingToGive = fresh.run(docker.busybox("echo none").build());

            assertThat(List.of(first, second, namedUser, nothingToGive))
                    .allSatisfy(r -> assertThat(r.status()).as(describe(r)).isEqualTo(RunStatus.SUCCEEDED));
            assertUploaded(first);
            assertThat(first.stdout()).isEqualTo("first");
            assertBound(second);
            assertThat(second.stdout()).isEqualTo("second");
            assertUploaded(namedUser);
            assertThat(namedUser.stdout()).as("a named user's uid only the image knows").isEqualTo("nobody\nnamed");
            assertThat(nothingToGive.timings()).doesNotContainKeys("files", "upload");
            assertThat(nothingToGive.stdout()).isEqualTo("none\n");
        }
    }

    @Test
    void imageContentAtTheWorkdirStaysVisibleBecauseSuchAnImageIsNeverBound() throws Exception {
        List<String> steps = List.of("mkdir -p /app && echo baked > /app/baked.txt",
                "echo " + UUID.randomUUID() + " > /build-token");
        docker.trackImage(ImageResolver.BUILD_REPOSITORY + ":" + ImageResolver.cacheKey(BUSYBOX, steps));

        List<RunResult> results = new ArrayList<>();
        for (String own : List.of("one", "two")) {
            results.add(bindRunner.run(docker.busybox("cat baked.txt own.txt; ls").buildSteps(steps)
                    .buildTimeout(Duration.ofSeconds(60)).file("own.txt", own + "\n").build()));
        }

        for (RunResult result : results) {
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertUploaded(result);
        }
        assertThat(results.get(0).stdout()).isEqualTo("baked\none\nbaked.txt\nown.txt\n");
        assertThat(results.get(1).stdout()).isEqualTo("baked\ntwo\nbaked.txt\nown.txt\n");
    }

    @Test
    void readOnlyRootWithANumericUserCanWriteItsBoundWorkdirButNotEtc() throws Exception {
        warmUp("/app");

        RunResult result = bindRunner.run(docker.busybox("echo out > new.txt && cat new.txt in.txt;"
                        + " stat -c '%n %u' . new.txt; touch /etc/planted 2>/dev/null && echo etc-writable || echo etc-read-only")
                .file("in.txt", "in\n").limits(Limits.DEFAULTS.withUser(NOBODY).withReadOnlyRootfs(true)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(result);
        assertThat(result.stdout()).isEqualTo("out\nin\n. 65534\nnew.txt 65534\netc-read-only\n");
    }

    @Test
    void deletingTheFilesFolderNeverFollowsWhatTheWorkloadLeftInIt(@TempDir Path host) throws Exception {
        warmUp("/app");
        Path hostFile = Files.writeString(host.resolve("victim.txt"), "keep me");
        Path hostFolder = Files.createDirectory(host.resolve("victim-folder"));
        Path inner = Files.writeString(hostFolder.resolve("inner.txt"), "keep me too");
        RunSpec spec = docker.busybox(String.join("; ",
                        "ln -s " + hostFile + " link-to-file",
                        "ln -s " + hostFolder + " link-to-folder",
                        "cat link-to-file 2>/dev/null || echo no-host-file-in-here",
                        "mkdir -p locked/sub && echo x > locked/sub/f && chmod 000 locked/sub locked",
                        "mkfifo fifo",
                        "ls -A"))
                .file("in.txt", "in").build();

        RunResult result = bindRunner.run(spec);

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(result);
        assertThat(result.stdout()).isEqualTo("no-host-file-in-here\nfifo\nin.txt\nlink-to-file\nlink-to-folder\nlocked\n");
        assertThat(Files.exists(bindRoot.resolve(spec.runId()), LinkOption.NOFOLLOW_LINKS)).as("the run's files folder")
                .isFalse();
        assertThat(hostFile).hasContent("keep me");
        assertThat(inner).hasContent("keep me too");
        assertThat(DockerTestSupport.children(hostFolder)).containsExactly("inner.txt");
    }

    @Test
    void theFilesFolderIsGoneAfterEveryKindOfEnding() throws Exception {
        warmUp("/app");
        List<RunSpec> specs = List.of(
                docker.busybox("cat in.txt").file("in.txt", "ok").build(),
                docker.busybox("cat in.txt; exit 3").file("in.txt", "failing").build(),
                docker.busybox("sleep 30").file("in.txt", "slow").timeout(Duration.ofSeconds(1)).build(),
                docker.busybox("true").file("in.txt", "never").runtime("no-such-runtime").build());
        List<RunResult> results = new ArrayList<>();
        for (RunSpec spec : specs) {
            results.add(bindRunner.run(spec));
        }
        CapturingSink sink = new CapturingSink();
        RunSpec cancelled = docker.busybox("cat in.txt; echo; echo started; sleep 30").file("in.txt", "cancelled")
                .logSink(sink).build();
        Execution execution = bindRunner.start(cancelled);
        await().atMost(SEEN).until(() -> sink.stdout().contains("started"));
        Path live = bindRoot.resolve(cancelled.runId());
        assertThat(live.resolve("in.txt")).as("the live run's file on the host").hasContent("cancelled");
        assertThat(execution.cancel()).isTrue();
        RunResult cancelledResult = execution.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(results.get(0).status()).as(describe(results.get(0))).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(results.get(0).stdout()).isEqualTo("ok");
        assertThat(results.get(1).status()).as(describe(results.get(1))).isEqualTo(RunStatus.FAILED);
        assertThat(results.get(1).exitCode()).isEqualTo(3);
        assertThat(results.get(1).stdout()).isEqualTo("failing");
        assertThat(results.get(2).status()).as(describe(results.get(2))).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(results.get(3).status()).as(describe(results.get(3))).isEqualTo(RunStatus.FAILED);
        assertThat(results.get(3).error().code()).isEqualTo(ErrorCode.START_FAILED);
        assertThat(cancelledResult.status()).as(describe(cancelledResult)).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelledResult.stdout()).isEqualTo("cancelled\nstarted\n");
        List<RunResult> all = new ArrayList<>(results);
        all.add(cancelledResult);
        for (RunResult result : all) {
            assertBound(result);
            assertThat(Files.exists(bindRoot.resolve(result.runId()), LinkOption.NOFOLLOW_LINKS))
                    .as("files folder of " + describe(result)).isFalse();
        }
    }

    @Test
    void aRunIdAlreadyRunningElsewhereFailsToStartAndLeavesThatRunsFilesAlone() throws Exception {
        warmUp("/app");
        CapturingSink sink = new CapturingSink();
        RunSpec spec = docker.busybox("echo started; while [ ! -e /tmp/go ]; do sleep 0.1; done; cat in.txt")
                .file("in.txt", "mine").logSink(sink).build();
        Execution running = bindRunner.start(spec);
        List<RunResult> duplicates = new ArrayList<>();
        boolean released = false;
        try {
            await().atMost(SEEN).until(() -> sink.stdout().contains("started"));
            // Another runner (another process, say) on the same files root, handed the same run id: once before it
            // knows the image (its run would upload) and once after (its run would be bound).
            try (DockerRunner other = DockerRunner.builder().filesMode(FilesMode.BIND).filesRoot(bindRoot)
                    .instance("files-it-other-" + UUID.randomUUID().toString().substring(0, 8)).build()) {
                for (int attempt = 0; attempt < 2; attempt++) {
                    duplicates.add(other.run(RunSpec.builder(BUSYBOX).runId(spec.runId()).entrypoint("cat in.txt")
                            .file("in.txt", "theirs").timeout(DockerTestSupport.SPEC_TIMEOUT).build()));
                    RunResult warm = other.run(docker.busybox("cat w.txt").file("w.txt", "warm").build());
                    assertThat(warm.status()).as(describe(warm)).isEqualTo(RunStatus.SUCCEEDED);
                }
            }
            assertThat(bindRoot.resolve(spec.runId()).resolve("in.txt")).as("the running run's file").hasContent("mine");
            dockerCli("exec", ContainerSettings.containerName(spec.runId()), "touch", "/tmp/go");
            released = true;
        } finally {
            if (!released) {
                running.cancel(); // whatever failed above, the run must not outlive the test
            }
        }
        RunResult result = running.await(Duration.ofSeconds(10)).orElseThrow();

        assertThat(duplicates).allSatisfy(duplicate -> {
            assertThat(duplicate.status()).as(describe(duplicate)).isEqualTo(RunStatus.FAILED);
            assertThat(duplicate.error().code()).isEqualTo(ErrorCode.START_FAILED);
        });
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(result);
        assertThat(result.stdout()).isEqualTo("started\nmine");
    }

    @Test
    void reaperDeletesOldFoldersOfRunsWithNeitherAnExecutionNorAContainer() throws Exception {
        warmUp("/app");
        FileTime anHourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Path old = plantFolder("planted-old-" + UUID.randomUUID(), anHourAgo);
        Path recent = plantFolder("planted-recent-" + UUID.randomUUID(), null);
        String withContainerId = docker.trackRunId("planted-container-" + UUID.randomUUID());
        Path withContainer = plantFolder(withContainerId, anHourAgo);
        String container = dockerCli("create", "--label", Labels.MANAGED + "=true",
                "--label", Labels.INSTANCE + "=" + bindInstance,
                "--label", Labels.RUN_ID + "=" + withContainerId, BUSYBOX, "true");
        CapturingSink sink = new CapturingSink();
        Execution liveRun = bindRunner.start(docker.busybox("echo started; sleep 30").file("in.txt", "live")
                .logSink(sink).build());
        try {
            await().atMost(SEEN).until(() -> sink.stdout().contains("started"));
            Path live = bindRoot.resolve(liveRun.runId());
            Files.setLastModifiedTime(live, anHourAgo);

            ReapReport report = bindRunner.reapOrphans(Duration.ofMinutes(1), KEEP_IMAGES);

            assertThat(report.containers()).as("the planted container is younger than the cutoff").isEmpty();
            assertThat(old).as("an old folder of no run").doesNotExist();
            assertThat(recent.resolve("left.txt")).as("a recent folder").hasContent("left");
            assertThat(withContainer.resolve("left.txt")).as("an old folder whose run has a container").hasContent("left");
            assertThat(live.resolve("in.txt")).as("an old folder of a live run").hasContent("live");
        } finally {
            dockerCli("rm", "-f", container);
            liveRun.cancel();
        }
        RunResult ended = liveRun.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(ended.status()).as(describe(ended)).isEqualTo(RunStatus.CANCELLED);
        // Once its container is gone the planted run's folder is an orphan too, and old enough.
        Files.setLastModifiedTime(recent, anHourAgo);
        bindRunner.reapOrphans(Duration.ofMinutes(1), KEEP_IMAGES);
        assertThat(withContainer).doesNotExist();
        assertThat(recent).doesNotExist();
    }

    /** A folder in the bind runner's root holding one file, with its mtime set after the file went in. */
    private static Path plantFolder(String runId, FileTime modified) throws IOException {
        Path folder = Files.createDirectory(bindRoot.resolve(runId));
        Files.writeString(folder.resolve("left.txt"), "left");
        if (modified != null) {
            Files.setLastModifiedTime(folder, modified);
        }
        return folder;
    }

    @Test
    void autoBindsOnlyForALocalDaemonSharingOurFilesystem(@TempDir Path temp) throws Exception {
        assertThat(BindFiles.sharesFilesystemWithDaemon(Path.of("/var/run/docker.sock"))).as("dockerd runs next to this test").isTrue();
        // A socket path nobody listens on is no proof, even with a dockerd next to us: it may be someone else's daemon.
        assertThat(BindFiles.sharesFilesystemWithDaemon(temp.resolve("nobody.sock"))).isFalse();
        try (DockerRunner elsewhere = DockerRunner.builder().filesMode(FilesMode.AUTO).filesRoot(temp.resolve("elsewhere"))
                .dockerHost(URI.create("unix://" + temp.resolve("nobody.sock"))).instance("files-it-elsewhere").build()) {
            assertThat(elsewhere.bindsFiles()).isFalse();
            assertThat(elsewhere.filesDelivery()).contains("archive API");
        }
        Path autoRoot = temp.resolve("auto");
        try (DockerRunner auto = DockerRunner.builder().filesMode(FilesMode.AUTO).filesRoot(autoRoot)
                .instance("files-it-auto-" + UUID.randomUUID().toString().substring(0, 8)).build();
             DockerRunner remote = DockerRunner.builder().filesMode(FilesMode.AUTO).filesRoot(temp.resolve("remote"))
                     .dockerHost(URI.create("tcp://127.0.0.1:1")).instance("files-it-remote").build();
             DockerRunner archive = DockerRunner.builder().filesMode(FilesMode.ARCHIVE).filesRoot(temp.resolve("archive"))
                     .instance("files-it-archive-only").build()) {
            assertThat(auto.bindsFiles()).isTrue();
            assertThat(Files.getPosixFilePermissions(autoRoot)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(remote.bindsFiles()).as("a daemon on tcp").isFalse();
            assertThat(archive.bindsFiles()).isFalse();
            assertThat(temp.resolve("remote")).doesNotExist();
            assertThat(temp.resolve("archive")).doesNotExist();
        }
        assertThat(bindRunner.bindsFiles()).isTrue();
        assertThat(archiveRunner.bindsFiles()).isFalse();
    }

    @Test
    void explicitBindWithAnUnusableRootIsRefusedNamingTheRoot(@TempDir Path temp) throws Exception {
        Path aFile = Files.writeString(temp.resolve("a-file"), "not a folder");
        Path root = aFile.resolve("files");

        assertThatThrownBy(() -> DockerRunner.builder().filesMode(FilesMode.BIND).filesRoot(root)
                .instance("files-it-unusable").build())
                .isInstanceOfSatisfying(RunnerException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains("files mode bind").contains(root.toString());
                });
    }

    @Test
    void gvisorRunGetsItsBoundFilesAndStdin() throws Exception {
        warmUp("/app");

        RunResult result = bindRunner.run(docker.busybox("uname -r; cat a/in.txt; cat; ls -A")
                .file("a/in.txt", "file via bind\n").stdin("stdin via bind\n").runtime("runsc")
                .network(NetworkChoice.none()).limits(Limits.DEFAULTS.withPids(256)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertBound(result);
        assertThat(result.stdout()).isEqualTo("4.4.0\nfile via bind\nstdin via bind\na\n");
    }
}
