package dev.lightrun.server;

import dev.lightrun.client.LightRunClient;
import dev.lightrun.client.LightRunException;
import dev.lightrun.client.LogLine;
import dev.lightrun.client.RunPage;
import dev.lightrun.client.RunRequest;
import dev.lightrun.client.RunState;
import dev.lightrun.client.RunStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static dev.lightrun.server.TestServer.BUSYBOX;
import static dev.lightrun.server.TestServer.PYNODE;
import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

/** The Java client (light-run-client) end to end: a real server on port 0, real containers. */
class ClientIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path base;

    private static TestServer server;
    private static LightRunClient client;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(Files.createDirectories(base.resolve("artifacts")));
        client = LightRunClient.builder().url(server.uri("")).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static RunRequest.Builder busybox(String entrypoint) {
        return RunRequest.builder(BUSYBOX).file("marker.txt", "light-run client test").entrypoint(entrypoint)
                .timeout(Duration.ofSeconds(30));
    }

    @Test
    void syncRunReturnsTheFinalStateWithOutputAndFiles(@TempDir Path target) throws IOException {
        RunState state = client.run(RunRequest.builder(PYNODE)
                .file("main.py", "import json,sys\nd=json.load(sys.stdin)\n"
                        + "open('out/result.json','w').write(json.dumps({'sum': d['a']+d['b']}))\nprint('done')")
                .entrypoint("mkdir -p out && python3 main.py")
                .input(Map.of("a", 1, "b", 2))
                .extract("/app/out")
                .timeout(Duration.ofSeconds(30))
                .build());

        assertThat(state.status()).as("state %s", state).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(state.exitCode()).isZero();
        assertThat(state.image()).isEqualTo(PYNODE);
        assertThat(state.owner()).isNotBlank();
        assertThat(state.logs().stdout()).isEqualTo("done\n");
        assertThat(state.duration()).isNotNull();
        assertThat(state.files()).extracting(RunState.Artifact::path).containsExactly("out/result.json");
        Path written = client.download(state.id(), "out/result.json", target);
        assertThat(Files.readString(written)).isEqualTo("{\"sum\": 3}");
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void binaryFilesReachTheRunByteExact() {
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }

        RunState state = client.run(RunRequest.builder(BUSYBOX).file("all.bin", bytes)
                .entrypoint("wc -c < all.bin && od -An -tx1 all.bin | head -1").build());

        assertThat(state.logs().stdout()).startsWith("256\n").contains("00 01 02 03 04 05 06 07");
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void detachedRunIsAwaited() {
        RunState accepted = client.submit(busybox("sleep 1; echo finished").build());

        assertThat(accepted.status()).isIn(RunStatus.RUNNING, RunStatus.QUEUED);
        assertThat(accepted.isFinished()).isFalse();
        RunState state = client.await(accepted.id(), WAIT);

        assertThat(state.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(state.detached()).isTrue();
        assertThat(state.logs().stdout()).isEqualTo("finished\n");
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void logFollowDeliversLinesInOrderWhileTheRunWrites() {
        RunState accepted = client.submit(busybox(
                "for i in 1 2 3; do echo line$i; sleep 0.5; done; echo oops >&2").build());
        List<LogLine> lines = new ArrayList<>();
        List<Instant> arrivals = new ArrayList<>();

        try (Stream<LogLine> logs = client.logs(accepted.id(), true)) {
            logs.forEach(line -> {
                lines.add(line);
                arrivals.add(Instant.now());
            });
        }

        assertThat(lines).extracting(LogLine::stream, LogLine::line).containsExactly(
                tuple(LogLine.Stream.STDOUT, "line1"), tuple(LogLine.Stream.STDOUT, "line2"),
                tuple(LogLine.Stream.STDOUT, "line3"), tuple(LogLine.Stream.STDERR, "oops"));
        RunState state = client.get(accepted.id());
        assertThat(state.isFinished()).as("the follow ends once the final state is stored").isTrue();
        assertThat(arrivals.getFirst()).as("line1 arrived while the run was still writing")
                .isBefore(state.finishedAt().minusMillis(700));
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void followPassesEachLineOnceAndReturnsTheFinalState() {
        RunState accepted = client.submit(busybox("for i in $(seq 1 50); do echo $i; done; exit 3").build());
        List<String> seen = new CopyOnWriteArrayList<>();

        RunState state = client.follow(accepted.id(), WAIT, line -> seen.add(line.line()));

        assertThat(state.status()).isEqualTo(RunStatus.FAILED);
        assertThat(state.exitCode()).isEqualTo(3);
        assertThat(state.errorCode()).isEqualTo("NONZERO_EXIT");
        assertThat(seen).containsExactlyElementsOf(Stream.iterate(1, i -> i + 1).limit(50).map(String::valueOf).toList());
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void aFiveMebibyteArtifactDownloadsByteExact(@TempDir Path target) throws Exception {
        RunState state = client.run(busybox("mkdir -p out && head -c 5242880 /dev/urandom > out/big.bin"
                + " && sha256sum out/big.bin").extract("/app/out").build());
        assertThat(state.status()).as("state %s", state).isEqualTo(RunStatus.SUCCEEDED);
        String inside = state.logs().stdout().split("\\s+")[0];
        AtomicLong lastProgress = new AtomicLong();

        Path written = client.download(state.id(), "out/big.bin", target,
                (path, bytes, total) -> lastProgress.set(bytes));

        assertThat(written).isEqualTo(target.resolve("out/big.bin"));
        assertThat(Files.size(written)).isEqualTo(5 * 1024 * 1024);
        assertThat(sha256(written)).as("the sha256 the workload printed").isEqualTo(inside);
        assertThat(lastProgress.get()).isEqualTo(5 * 1024 * 1024);
        assertThat(client.artifacts(state.id())).extracting(RunState.Artifact::path)
                .containsExactly("out", "out/big.bin");
        assertNoContainersLeftFor(state.id());
    }

    @Test
    void aFolderArtifactDownloadsWithEveryFile(@TempDir Path target) throws IOException {
        RunState state = client.run(busybox("mkdir -p out/sub && echo a > out/a.txt && echo b > out/sub/b.txt")
                .extract("/app/out").build());

        client.download(state.id(), "out", target);

        assertThat(Files.readString(target.resolve("out/a.txt"))).isEqualTo("a\n");
        assertThat(Files.readString(target.resolve("out/sub/b.txt"))).isEqualTo("b\n");
    }

    @Test
    void badRequestNamesEachFieldAtFault() {
        LightRunException e = catchThrowableOfType(LightRunException.class, () -> client.run(
                busybox("true").timeout(Duration.ZERO).env("1BAD", "x").build()));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("bad_request");
        assertThat(e.details()).extracting(LightRunException.FieldError::path).containsExactly("env[1BAD]", "timeout");
        assertThat(e.details()).allSatisfy(detail -> assertThat(detail.message()).isNotBlank());
        assertThat(e.getMessage()).isEqualTo(e.details().getFirst().path() + ": " + e.details().getFirst().message());
    }

    @Test
    void unknownRunIsNotFound() {
        String id = UUID.randomUUID().toString();

        LightRunException e = catchThrowableOfType(LightRunException.class, () -> client.get(id));

        assertThat(e.status()).isEqualTo(404);
        assertThat(e.code()).isEqualTo("not_found");
        assertThat(e.getMessage()).isEqualTo("run " + id + " not found");
    }

    @Test
    void cancelEndsARunCancelledAndDeleteForgetsIt() {
        RunState accepted = client.submit(busybox("sleep 30").build());
        server.awaitRunning(accepted.id());

        client.cancel(accepted.id());
        RunState state = client.await(accepted.id(), WAIT);

        assertThat(state.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(state.errorCode()).isEqualTo("CANCELLED");
        assertNoContainersLeftFor(state.id());
        client.delete(state.id());
        assertThat(catchThrowableOfType(LightRunException.class, () -> client.get(state.id())).code())
                .isEqualTo("not_found");
    }

    @Test
    void listPagesWithTheNextCursor() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(client.run(busybox("true").build()).id());
        }

        RunPage first = client.list(RunStatus.SUCCEEDED, 2, null);
        RunPage second = client.list(RunStatus.SUCCEEDED, 2, first.nextCursor());

        assertThat(first.runs()).hasSize(2);
        assertThat(first.next()).isPresent();
        List<String> listed = new ArrayList<>();
        first.runs().forEach(r -> listed.add(r.id()));
        second.runs().forEach(r -> listed.add(r.id()));
        assertThat(listed).containsSubsequence(ids.get(2), ids.get(1), ids.get(0));
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
