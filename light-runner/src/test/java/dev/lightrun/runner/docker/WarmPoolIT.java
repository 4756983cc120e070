package dev.lightrun.runner.docker;

import com.github.dockerjava.api.model.Container;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.StartKind;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.lightrun.runner.docker.DockerTestSupport.BUSYBOX;
import static dev.lightrun.runner.docker.DockerTestSupport.PYNODE;
import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Warm pools against the real daemon: a pooled run behaves as a cold one (files, env, stdin, extraction, timeout,
 * cancel, stop, OOM, exit code), sees nothing of an earlier run, never shares a container, falls back to cold when the
 * pool is empty, refills within its bound, survives a restart without serving stale containers, and leaves nothing.
 */
class WarmPoolIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    private static final Duration FILLED = Duration.ofSeconds(60);
    private static final PoolProfile BUSYBOX_POOL = PoolProfile.of(BUSYBOX, 2).withNetwork(NetworkChoice.none());
    private static final PoolProfile PYNODE_POOL = PoolProfile.of(PYNODE, 1).withNetwork(NetworkChoice.none())
            .withLimits(Limits.DEFAULTS.withMemoryBytes(64 * Limits.MIB));

    private static String instance;
    private static DockerRunner warm;

    @BeforeAll
    static void startPools() {
        instance = newInstance();
        warm = DockerRunner.builder().instance(instance).warmPool(BUSYBOX_POOL, PYNODE_POOL).build();
        awaitFilled(warm, BUSYBOX);
        awaitFilled(warm, PYNODE);
    }

    @AfterAll
    static void closePools() {
        warm.close();
        assertThat(poolContainers(instance)).as("pooled containers after close").isEmpty();
    }

    private static String newInstance() {
        return "it-warm-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static PoolStats stats(DockerRunner runner, String image) {
        return runner.pools().stream().filter(p -> p.profile().image().equals(image)).findFirst().orElseThrow();
    }

    private static void awaitFilled(DockerRunner runner, String image) {
        await("pool " + image + " filled").atMost(FILLED).pollInterval(Duration.ofMillis(50))
                .until(() -> stats(runner, image).idle() == stats(runner, image).profile().size());
    }

    /** Ids of the pooled containers of an instance, running or not. */
    private static List<String> poolContainers(String instance) {
        return docker.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Labels.KIND, Labels.KIND_POOL, Labels.INSTANCE, instance)).exec().stream()
                .map(Container::getId).toList();
    }

    private static RunSpec.Builder busybox(String entrypoint) {
        return docker.busybox(entrypoint).network(NetworkChoice.none());
    }

    @Test
    void filesEnvStdinAndExtractionAreByteExactThroughAPooledContainer(@TempDir Path out) throws Exception {
        byte[] binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + 7);
        }
        byte[] stdin = "line one\nquote ' and \" and $HOME\n\u00e9\n".getBytes(StandardCharsets.UTF_8);
        RunSpec spec = busybox("cat > /app/out/stdin.copy; cp data/blob.bin out/blob.copy; echo \"$SECRET\" > /tmp/env.txt;"
                + " printf '%s|%s' \"$SECRET\" \"$PLAIN\"; ls -A /app | tr '\\n' ' ' >&2")
                .file("data/blob.bin", binary).file("out/keep.txt", "kept")
                .env("SECRET", "it's \"quoted\" $(not run) `nor this`\nsecond line").env("PLAIN", "x=y")
                .stdin(stdin)
                .extraction(Extraction.of(out, "/app/out", "/tmp/env.txt"))
                .build();

        RunResult result = warm.run(spec);

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.start()).isEqualTo(StartKind.WARM);
        assertThat(result.stdout()).isEqualTo("it's \"quoted\" $(not run) `nor this`\nsecond line|x=y");
        assertThat(result.stderr()).as("no control file is left for the workload to see").isEqualTo("data out ");
        assertThat(Files.readAllBytes(out.resolve("out/blob.copy"))).isEqualTo(binary);
        assertThat(Files.readAllBytes(out.resolve("out/stdin.copy"))).isEqualTo(stdin);
        assertThat(Files.readString(out.resolve("out/keep.txt"))).isEqualTo("kept");
        assertThat(Files.readString(out.resolve("env.txt"))).isEqualTo("it's \"quoted\" $(not run) `nor this`\nsecond line\n");
        assertThat(result.timings()).containsKeys("claim", "run").doesNotContainKeys("create", "start", "remove");
    }

    @Test
    void aRefusedStartNeverHandsThePooledContainerTheRun() throws Exception {
        awaitFilled(warm, BUSYBOX);
        RunSpec spec = busybox("echo should-not-run").build();

        RunResult result = warm.start(spec, () -> false).await(Duration.ofSeconds(30)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.start()).as("it had taken a pooled container").isEqualTo(StartKind.WARM);
        RunResult next = warm.run(busybox("echo next").build());
        assertThat(next.status()).as(describe(next)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(next.stdout()).isEqualTo("next\n");
        // Full again for the tests after this one, which count on a warm start.
        awaitFilled(warm, BUSYBOX);
    }

    @Test
    void envValuesNeverReachTheContainersConfig() throws Exception {
        CapturingSink sink = new CapturingSink();
        Execution execution = warm.start(busybox("hostname; sleep 30").env("TOKEN", "s3cr3t-value").logSink(sink).build());
        await().atMost(FILLED).until(() -> sink.stdout().contains("\n"));
        String shortId = sink.stdout().strip();

        var inspected = docker.client().inspectContainerCmd(shortId).exec();
        String config = java.util.Arrays.toString(inspected.getConfig().getEnv()) + inspected.getConfig().getLabels()
                + java.util.Arrays.toString(inspected.getConfig().getCmd())
                + java.util.Arrays.toString(inspected.getConfig().getEntrypoint());
        assertThat(config).doesNotContain("s3cr3t-value");
        execution.cancel();
        assertThat(execution.await(Duration.ofSeconds(10)).orElseThrow().start()).isEqualTo(StartKind.WARM);
    }

    @Test
    void aRunSeesNothingOfTheRunBeforeItAndNoContainerServesTwice() throws Exception {
        Set<String> containers = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            awaitFilled(warm, BUSYBOX);
            // Counts the live "sleep 999" processes (an earlier run's background one would be one).
            String check = """
                    hostname; ls -A /app /tmp | tr '\\n' ' '; echo; test -e /left-at-root && echo root-file
                    n=0; for p in /proc/[0-9]*/cmdline; do [ "$(tr '\\0' ' ' < $p)" = "sleep 999 " ] && n=$((n+1)); done
                    echo "$n"; echo "env=$LEAK"
                    rm -f check.sh; echo x > /app/left-in-workdir; echo x > /tmp/left-in-tmp; echo x > /left-at-root
                    export LEAK=yes; (sleep 999 &); echo done
                    """;
            RunResult result = warm.run(busybox("sh check.sh").file("check.sh", check).build());
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.start()).isEqualTo(StartKind.WARM);
            String[] lines = result.stdout().split("\n");
            assertThat(containers.add(lines[0])).as("container %s served twice", lines[0]).isTrue();
            assertThat(lines[1]).as("workdir and /tmp are empty").isEqualTo("/app: check.sh  /tmp: ");
            assertThat(lines[2]).as("background processes of earlier runs").isEqualTo("0");
            assertThat(lines[3]).isEqualTo("env=");
            assertThat(lines[4]).isEqualTo("done");
        }
    }

    @Test
    void timeoutCancelStopAndExitCodeBehaveAsCold() throws Exception {
        RunResult timedOut = warm.run(busybox("sleep 60").timeout(Duration.ofSeconds(1)).build());
        assertThat(timedOut.start()).isEqualTo(StartKind.WARM);
        assertThat(timedOut.status()).as(describe(timedOut)).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(timedOut.error().code()).isEqualTo(ErrorCode.TIMED_OUT);
        assertThat(timedOut.exitCode()).isEqualTo(137);
        assertThat(timedOut.duration()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));

        awaitFilled(warm, BUSYBOX);
        CapturingSink sink = new CapturingSink();
        Execution cancelled = warm.start(busybox("echo started; sleep 60").logSink(sink).build());
        await().atMost(FILLED).until(() -> sink.stdout().contains("started"));
        assertThat(cancelled.cancel()).isTrue();
        RunResult cancelResult = cancelled.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(cancelResult.start()).isEqualTo(StartKind.WARM);
        assertThat(cancelResult.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelResult.error().code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(cancelResult.stdout()).isEqualTo("started\n");

        awaitFilled(warm, BUSYBOX);
        CapturingSink stopSink = new CapturingSink();
        Execution stopped = warm.start(busybox("trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
                .logSink(stopSink).build());
        await().atMost(FILLED).until(() -> stopSink.stdout().contains("ready"));
        long stopAt = System.nanoTime();
        assertThat(stopped.stop("SIGTERM", Duration.ofSeconds(5))).isTrue();
        RunResult stopResult = stopped.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(Duration.ofNanos(System.nanoTime() - stopAt)).isLessThan(Duration.ofSeconds(3));
        assertThat(stopResult.start()).isEqualTo(StartKind.WARM);
        assertThat(stopResult.stdout()).isEqualTo("ready\ngot-term\n");
        assertThat(stopResult.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stopResult.error().code()).isEqualTo(ErrorCode.STOPPED);

        awaitFilled(warm, BUSYBOX);
        RunResult three = warm.run(busybox("echo out; echo err >&2; exit 3").build());
        assertThat(three.start()).isEqualTo(StartKind.WARM);
        assertThat(three.status()).isEqualTo(RunStatus.FAILED);
        assertThat(three.exitCode()).isEqualTo(3);
        assertThat(three.error().code()).isEqualTo(ErrorCode.NONZERO_EXIT);
        assertThat(three.stdout()).isEqualTo("out\n");
        assertThat(three.stderr()).isEqualTo("err\n");
    }

    @Test
    void pauseAndResumeWorkOnAWarmRun() throws Exception {
        awaitFilled(warm, BUSYBOX);
        CapturingSink sink = new CapturingSink();
        Execution execution = warm.start(busybox("echo ready; sleep 2; echo after").logSink(sink).build());
        await().atMost(FILLED).until(() -> sink.stdout().contains("ready"));
        execution.pause();
        assertThat(execution.isPaused()).isTrue();
        execution.resume();
        RunResult result = execution.await(Duration.ofSeconds(20)).orElseThrow();
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.start()).isEqualTo(StartKind.WARM);
        assertThat(result.stdout()).isEqualTo("ready\nafter\n");
    }

    @Test
    void memoryHogInAPooledContainerIsOomKilled() throws Exception {
        RunResult result = warm.run(docker.pynode("python3 -c \"x = b'\\x01' * (200 * 1024 * 1024); print(len(x))\"")
                .network(NetworkChoice.none()).limits(Limits.DEFAULTS.withMemoryBytes(64 * Limits.MIB)).build());

        assertThat(result.start()).isEqualTo(StartKind.WARM);
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.oomKilled()).isTrue();
        assertThat(result.exitCode()).isEqualTo(137);
        assertThat(result.error().code()).isEqualTo(ErrorCode.OOM_KILLED);
    }

    @Test
    void aRunAskingForSomethingElseStartsCold() throws Exception {
        RunResult otherLimits = warm.run(busybox("echo hi").limits(Limits.DEFAULTS.withPids(50)).build());
        RunResult otherNetwork = warm.run(docker.busybox("echo hi").build());

        assertThat(otherLimits.start()).isEqualTo(StartKind.COLD);
        assertThat(otherLimits.stdout()).isEqualTo("hi\n");
        assertThat(otherNetwork.start()).isEqualTo(StartKind.COLD);
        assertThat(otherNetwork.timings()).containsKeys("create", "start");
    }

    @Test
    void anEmptyPoolFallsBackToColdAndRefillsWithinItsBound() throws Exception {
        String own = newInstance();
        try (DockerRunner runner = DockerRunner.builder().instance(own).warmPool(PoolProfile.of(BUSYBOX, 1)
                .withNetwork(NetworkChoice.none())).build()) {
            awaitFilled(runner, BUSYBOX);
            CapturingSink sink = new CapturingSink();
            Execution first = runner.start(busybox("echo holding; sleep 30").logSink(sink).build());
            await().atMost(FILLED).until(() -> sink.stdout().contains("holding"));
            RunResult second = runner.run(busybox("echo second").build());

            assertThat(second.status()).as(describe(second)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(second.start()).as("the pool's one container is taken").isEqualTo(StartKind.COLD);
            PoolStats stats = stats(runner, BUSYBOX);
            assertThat(stats.hits()).isEqualTo(1);
            assertThat(stats.misses()).isGreaterThanOrEqualTo(1);
            // Refilled while the first run holds its container: one idle plus the one in use, never more.
            awaitFilled(runner, BUSYBOX);
            assertThat(poolContainers(own)).hasSize(2);
            assertThat(stats(runner, BUSYBOX).lastRefill()).isPositive();

            first.cancel();
            assertThat(first.await(Duration.ofSeconds(10)).orElseThrow().start()).isEqualTo(StartKind.WARM);
            await().atMost(Duration.ofSeconds(10)).until(() -> poolContainers(own).size() == 1);
        }
        assertThat(poolContainers(own)).as("nothing left after close").isEmpty();
    }

    @Test
    void aNewRunnerOfTheSameInstanceRemovesStalePooledContainersAndNeverServesThem() throws Exception {
        String own = newInstance();
        PoolProfile profile = PoolProfile.of(BUSYBOX, 2).withNetwork(NetworkChoice.none());
        DockerRunner previous = DockerRunner.builder().instance(own).warmPool(profile).build();
        try {
            awaitFilled(previous, BUSYBOX);
            Set<String> stale = Set.copyOf(poolContainers(own));
            assertThat(stale).hasSize(2);

            try (DockerRunner next = DockerRunner.builder().instance(own).warmPool(profile).build()) {
                awaitFilled(next, BUSYBOX);
                await().atMost(Duration.ofSeconds(10)).until(() -> poolContainers(own).stream().noneMatch(stale::contains));
                List<String> served = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    RunResult result = next.run(busybox("hostname").build());
                    assertThat(result.start()).isEqualTo(StartKind.WARM);
                    served.add(result.stdout().strip());
                }
                assertThat(served).allSatisfy(id -> assertThat(stale).noneMatch(s -> s.startsWith(id)));
            }
        } finally {
            previous.close();
        }
        assertThat(poolContainers(own)).isEmpty();
    }

    @Test
    void reaperLeavesIdlePooledContainersAlone() throws Exception {
        awaitFilled(warm, BUSYBOX);
        Set<String> before = Set.copyOf(poolContainers(instance));

        warm.reapOrphans(Duration.ZERO);

        assertThat(poolContainers(instance)).containsAll(before);
        RunResult result = warm.run(busybox("echo still-warm").build());
        assertThat(result.start()).isEqualTo(StartKind.WARM);
        assertThat(result.stdout()).isEqualTo("still-warm\n");
    }

    @Test
    void gvisorPoolServesWarmRuns() throws Exception {
        // scripts/docker-up.sh registers gVisor wherever the tests run: without it this test fails, it does not skip.
        assertThat(docker.runner().runtimes()).as("runtimes registered with the daemon").contains("runsc");
        String own = newInstance();
        Limits limits = Limits.DEFAULTS.withPids(256);
        try (DockerRunner runner = DockerRunner.builder().instance(own).warmPool(PoolProfile.of(BUSYBOX, 1)
                .withNetwork(NetworkChoice.none()).withRuntime("runsc").withLimits(limits)).build()) {
            awaitFilled(runner, BUSYBOX);
            RunResult result = runner.run(busybox("uname -r; cat in.txt; cat").runtime("runsc").limits(limits)
                    .file("in.txt", "file\n").stdin("stdin\n").env("A", "b").build());

            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(result.start()).isEqualTo(StartKind.WARM);
            assertThat(result.stdout()).isEqualTo("4.4.0\nfile\nstdin\n");
        }
        assertThat(poolContainers(own)).isEmpty();
    }
}
