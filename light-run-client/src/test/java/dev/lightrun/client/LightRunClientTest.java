package dev.lightrun.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The client against a fake server: request shapes, answers, errors, paging, logs and downloads, without Docker. */
class LightRunClientTest {
    private static final String ID = "019a6c2e-1f0b-7000-8c5e-3f1d2a9b7c41";
    private static final String FINAL_STATE = """
            {"id":"%s","status":"succeeded","image":"img","detached":false,"owner":"team-a",
             "queuedAt":"2026-11-27T07:12:30.700Z","startedAt":"2026-11-27T07:12:30.784Z",
             "finishedAt":"2026-11-27T07:12:31.247Z","exitCode":0,"durationMs":40,"timedOut":false,"oomKilled":false,
             "artifacts":[{"path":"out","bytes":0,"type":"directory"},{"path":"out/result.json","bytes":10,"type":"file"}],
             "error":null,"errorCode":null,
             "logs":{"stdout":"done\\n","stderr":"","stdoutTruncated":false,"stderrTruncated":true},
             "timings":{"image":0,"create":12,"run":40},
             "callback":{"attempts":3,"lastStatus":200,"deliveredAt":"2026-11-27T07:12:32Z","gaveUp":false},
             "replica":"replica-a","aFieldOfANewerServer":{"x":1}}""".formatted(ID);

    private FakeServer server;
    private LightRunClient client;

    @BeforeEach
    void start() throws IOException {
        server = new FakeServer();
        client = LightRunClient.builder().url(server.url()).token("t0ken").requestTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void runSendsEveryFieldAndTheTokenAndReadsTheFinalState() throws Exception {
        server.onJson("POST /run", 200, FINAL_STATE);

        RunState state = client.run(RunRequest.builder("img")
                .file("main.py", "print('hi')")
                .file("data.bin", new byte[] {0, 1, 2, (byte) 0xff})
                .entrypoint("python3 main.py")
                .buildSteps(List.of("apk add jq"))
                .input(Map.of("a", 1))
                .env("GREETING", "hello")
                .extract("/app/out")
                .timeout(Duration.ofSeconds(30))
                .memoryMiB(256).cpus(0.5).pids(50)
                .network("none").workdir("/work").user("1000:1000").readOnlyRootfs(true).runtime("runsc")
                .detached(true)
                .build());

        FakeServer.Received sent = server.last();
        assertThat(sent.header("Authorization")).isEqualTo("Bearer t0ken");
        assertThat(sent.header("Content-Type")).isEqualTo("application/json");
        JsonNode body = Json.MAPPER.readTree(sent.body());
        assertThat(body.path("image").asText()).isEqualTo("img");
        assertThat(body.path("files").path("main.py").asText()).isEqualTo("print('hi')");
        assertThat(Base64.getDecoder().decode(body.path("files").path("data.bin").path("base64").asText()))
                .containsExactly(0, 1, 2, 0xff);
        assertThat(body.path("entrypoint").asText()).isEqualTo("python3 main.py");
        assertThat(body.path("run").get(0).asText()).isEqualTo("apk add jq");
        assertThat(body.path("input").path("a").asInt()).isEqualTo(1);
        assertThat(body.path("env").path("GREETING").asText()).isEqualTo("hello");
        assertThat(body.path("extract").get(0).asText()).isEqualTo("/app/out");
        assertThat(body.path("timeout").asLong()).isEqualTo(30_000);
        assertThat(body.path("memory").asInt()).isEqualTo(256);
        assertThat(body.path("cpus").asDouble()).isEqualTo(0.5);
        assertThat(body.path("pids").asInt()).isEqualTo(50);
        assertThat(body.path("network").asText()).isEqualTo("none");
        assertThat(body.path("workdir").asText()).isEqualTo("/work");
        assertThat(body.path("user").asText()).isEqualTo("1000:1000");
        assertThat(body.path("readOnlyRootfs").asBoolean()).isTrue();
        assertThat(body.path("runtime").asText()).isEqualTo("runsc");
        assertThat(body.has("detached")).as("a sync run is never sent detached").isFalse();

        assertThat(state.id()).isEqualTo(ID);
        assertThat(state.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(state.isFinished()).isTrue();
        assertThat(state.owner()).isEqualTo("team-a");
        assertThat(state.exitCode()).isZero();
        assertThat(state.duration()).isEqualTo(Duration.ofMillis(40));
        assertThat(state.finishedAt()).isEqualTo(Instant.parse("2026-11-27T07:12:31.247Z"));
        assertThat(state.timings()).containsEntry("create", Duration.ofMillis(12));
        assertThat(state.files()).containsExactly(new RunState.Artifact("out/result.json", 10, "file"));
        assertThat(state.logs().stdout()).isEqualTo("done\n");
        assertThat(state.logs().stderrTruncated()).isTrue();
        assertThat(state.callback().attempts()).isEqualTo(3);
        assertThat(state.replica()).isEqualTo("replica-a");
    }

    @Test
    void leftOutFieldsAreNotSentSoTheServerDefaultsApply() throws Exception {
        server.onJson("POST /run", 200, FINAL_STATE);

        client.run(RunRequest.builder("img").file("a.txt", "x").build());

        JsonNode body = Json.MAPPER.readTree(server.last().body());
        assertThat(body.properties()).extracting(Map.Entry::getKey).containsExactly("image", "files");
    }

    @Test
    void rawJsonInputIsSentAsJson() throws Exception {
        server.onJson("POST /run", 200, FINAL_STATE);

        client.run(RunRequest.builder("img").file("a", "x").inputJson("{\"list\":[1,2]}").build());

        assertThat(Json.MAPPER.readTree(server.last().body()).path("input").path("list").get(1).asInt()).isEqualTo(2);
    }

    @Test
    void submitSendsDetachedAndReturnsTheAcceptedState() throws Exception {
        server.onJson("POST /run", 202, "{\"id\":\"" + ID + "\",\"status\":\"queued\",\"url\":\"/runs/" + ID + "\"}");

        RunState accepted = client.submit(RunRequest.builder("img").file("a", "x")
                .callback("https://hooks.example/x", "a-secret-of-16+-chars").build());

        JsonNode body = Json.MAPPER.readTree(server.last().body());
        assertThat(body.path("detached").asBoolean()).isTrue();
        assertThat(body.path("callbackUrl").asText()).isEqualTo("https://hooks.example/x");
        assertThat(body.path("callbackSecret").asText()).isEqualTo("a-secret-of-16+-chars");
        assertThat(accepted.id()).isEqualTo(ID);
        assertThat(accepted.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(accepted.image()).isEqualTo("img");
        assertThat(accepted.isFinished()).isFalse();
    }

    @Test
    void badRequestCarriesCodeMessageFieldDetailsAndExtraFields() {
        server.onJson("POST /run", 400, """
                {"error":"bad_request","message":"timeout: must be 1..3600000",
                 "details":[{"path":"timeout","message":"must be 1..3600000"},{"path":"files[../x]","message":"leaves the workdir"}],
                 "scope":"team-a","quota":{"runs":10}}""");

        LightRunException e = catchThrowableOfType(LightRunException.class,
                () -> client.run(RunRequest.builder("img").file("a", "x").build()));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("bad_request");
        assertThat(e.getMessage()).isEqualTo("timeout: must be 1..3600000");
        assertThat(e.details()).containsExactly(
                new LightRunException.FieldError("timeout", "must be 1..3600000"),
                new LightRunException.FieldError("files[../x]", "leaves the workdir"));
        assertThat(e.extra()).containsEntry("scope", "team-a").containsEntry("quota", Map.of("runs", 10));
        assertThat(e.describe()).isEqualTo("bad_request: timeout: must be 1..3600000; files[../x]: leaves the workdir");
    }

    @Test
    void queueFullCarriesRetryAfter() {
        server.on("POST /run", exchange -> {
            exchange.getResponseHeaders().set("Retry-After", "3");
            FakeServer.json(exchange, 429, "{\"error\":\"queue_full\",\"message\":\"the queue is full (100 runs)\"}");
        });

        LightRunException e = catchThrowableOfType(LightRunException.class,
                () -> client.submit(RunRequest.builder("img").file("a", "x").build()));

        assertThat(e.code()).isEqualTo("queue_full");
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(3));
    }

    @Test
    void unknownRunIsNotFound() {
        server.onJson("GET /runs/nope", 404, "{\"error\":\"not_found\",\"message\":\"run nope not found\"}");

        assertThatThrownBy(() -> client.get("nope"))
                .isInstanceOfSatisfying(LightRunException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo("not_found");
                    assertThat(e.getMessage()).isEqualTo("run nope not found");
                    assertThat(e.details()).isEmpty();
                });
    }

    @Test
    void anErrorPageThatIsNotOursStillGivesItsStatus() {
        server.on("GET /runs/x", exchange -> {
            byte[] page = "<html>bad gateway</html>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(502, page.length);
            exchange.getResponseBody().write(page);
        });

        LightRunException e = catchThrowableOfType(LightRunException.class, () -> client.get("x"));

        assertThat(e.status()).isEqualTo(502);
        assertThat(e.code()).isEqualTo("http_502");
        assertThat(e.getMessage()).isEqualTo("GET /runs/x answered HTTP 502: <html>bad gateway</html>");
    }

    @Test
    void noServerIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (LightRunClient nobody = LightRunClient.builder()
                .url(URI.create("http://127.0.0.1:" + closedPort)).build()) {
            LightRunException e = catchThrowableOfType(LightRunException.class, () -> nobody.get(ID));

            assertThat(e.status()).isZero();
            assertThat(e.code()).isEqualTo(LightRunException.UNREACHABLE);
            assertThat(e.getMessage()).startsWith("cannot connect to http://127.0.0.1:" + closedPort);
            assertThat(e.getCause()).isInstanceOf(java.net.ConnectException.class);
        }
    }

    @Test
    void aSlowAnswerTimesOut() {
        CountDownLatch release = new CountDownLatch(1);
        server.on("GET /runs/slow", exchange -> {
            release.await(10, TimeUnit.SECONDS);
            FakeServer.json(exchange, 200, FINAL_STATE);
        });
        try (LightRunClient impatient = LightRunClient.builder().url(server.url())
                .requestTimeout(Duration.ofMillis(200)).build()) {
            LightRunException e = catchThrowableOfType(LightRunException.class, () -> impatient.get("slow"));

            assertThat(e.code()).isEqualTo(LightRunException.TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("GET /runs/slow got no answer within 200 ms");
        } finally {
            release.countDown();
        }
    }

    @Test
    void listPassesFiltersAndReadsTheNextCursor() {
        server.on("GET /runs", exchange -> {
            exchange.getResponseHeaders().set("X-Next-Cursor", ID);
            FakeServer.json(exchange, 200, "[" + FINAL_STATE + "]");
        });

        RunPage page = client.list(RunStatus.FAILED, 50, "019a6c2e-0000-7000-8000-000000000000");

        assertThat(server.last().uri().getRawQuery())
                .isEqualTo("status=failed&limit=50&cursor=019a6c2e-0000-7000-8000-000000000000");
        assertThat(page.runs()).extracting(RunState::id).containsExactly(ID);
        assertThat(page.next()).contains(ID);
    }

    @Test
    void theLastPageHasNoCursor() {
        server.onJson("GET /runs", 200, "[]");

        RunPage page = client.list(null, 0, null);

        assertThat(server.last().uri().getRawQuery()).isNull();
        assertThat(page.runs()).isEmpty();
        assertThat(page.next()).isEmpty();
    }

    @Test
    void logLinesArriveWhileTheRunStillWrites() {
        CountDownLatch firstRead = new CountDownLatch(1);
        server.on("GET /runs/" + ID + "/logs", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("{\"t\":\"2026-11-27T07:12:31Z\",\"stream\":\"stdout\",\"line\":\"one\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            // The second line only after the client has the first: proves lines are read as they arrive.
            firstRead.await(10, TimeUnit.SECONDS);
            out.write("{\"t\":\"2026-11-27T07:12:32Z\",\"stream\":\"stderr\",\"line\":\"two \\\"quoted\\\"\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.close();
        });

        List<LogLine> lines = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Stream<LogLine> logs = client.logs(ID, true)) {
                Iterator<LogLine> it = logs.iterator();
                lines.add(it.next());
                firstRead.countDown();
                it.forEachRemaining(lines::add);
            }
        });

        assertThat(server.last().uri().getRawQuery()).isEqualTo("format=jsonl&follow=true");
        assertThat(lines).containsExactly(
                new LogLine(Instant.parse("2026-11-27T07:12:31Z"), LogLine.Stream.STDOUT, "one"),
                new LogLine(Instant.parse("2026-11-27T07:12:32Z"), LogLine.Stream.STDERR, "two \"quoted\""));
    }

    @Test
    void closingALogStreamClosesTheConnection() {
        CountDownLatch serverSawClose = new CountDownLatch(1);
        server.on("GET /runs/" + ID + "/logs", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            try {
                // Writes until the client goes away, as a follow of an endless run would: only a closed connection ends it.
                for (long i = 0; ; i++) {
                    out.write(("{\"t\":\"2026-11-27T07:12:31Z\",\"stream\":\"stdout\",\"line\":\"" + i + "\"}\n")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException gone) {
                serverSawClose.countDown();
            }
        });

        try (Stream<LogLine> logs = client.logs(ID, true)) {
            assertThat(logs.limit(3).map(LogLine::line).toList()).containsExactly("0", "1", "2");
        }

        assertThat(awaitLatch(serverSawClose)).as("the server saw the connection close").isTrue();
    }

    @Test
    void aLineThatIsNotALogRecordIsAnInvalidResponse() {
        server.on("GET /runs/" + ID + "/logs", exchange -> {
            byte[] body = "not json\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        });

        try (Stream<LogLine> logs = client.logs(ID, false)) {
            assertThatThrownBy(logs::toList).isInstanceOfSatisfying(LightRunException.class,
                    e -> assertThat(e.code()).isEqualTo(LightRunException.INVALID_RESPONSE));
        }
    }

    @Test
    void downloadStreamsAFileToDiskWithProgress(@TempDir Path target) throws IOException {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(content);
        server.on("GET /runs/" + ID + "/artifacts/out/big%20file.bin", exchange -> {
            exchange.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"big file.bin\"");
            exchange.sendResponseHeaders(200, content.length);
            exchange.getResponseBody().write(content);
        });
        List<Long> progress = new ArrayList<>();
        AtomicInteger totals = new AtomicInteger();

        Path written = client.download(ID, "out/big file.bin", target, (path, bytes, total) -> {
            progress.add(bytes);
            if (total == content.length) {
                totals.incrementAndGet();
            }
        });

        assertThat(written).isEqualTo(target.resolve("out/big file.bin"));
        assertThat(Files.readAllBytes(written)).isEqualTo(content);
        assertThat(progress.getFirst()).isZero();
        assertThat(progress.getLast()).isEqualTo(content.length);
        assertThat(progress).isSorted();
        assertThat(totals.get()).isEqualTo(progress.size());
        try (Stream<Path> files = Files.list(written.getParent())) {
            assertThat(files).as("no temporary file left").containsExactly(written);
        }
        if (written.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path plain = Files.createFile(target.resolve("plain"));
            assertThat(Files.getPosixFilePermissions(written)).as("the umask's permissions, not owner-only")
                    .isEqualTo(Files.getPosixFilePermissions(plain));
        }
    }

    @Test
    void downloadOfAFolderFetchesEveryFileInIt(@TempDir Path target) throws IOException {
        server.onJson("GET /runs/" + ID + "/artifacts/out", 200, """
                [{"path":"out/a.txt","bytes":1,"type":"file"},{"path":"out/sub","bytes":0,"type":"directory"},
                 {"path":"out/sub/b.txt","bytes":2,"type":"file"}]""");
        serveFile("/runs/" + ID + "/artifacts/out/a.txt", "a");
        serveFile("/runs/" + ID + "/artifacts/out/sub/b.txt", "bb");

        Path written = client.download(ID, "out", target);

        assertThat(written).isEqualTo(target.resolve("out"));
        assertThat(Files.readString(target.resolve("out/a.txt"))).isEqualTo("a");
        assertThat(Files.readString(target.resolve("out/sub/b.txt"))).isEqualTo("bb");
    }

    @Test
    void downloadRefusesAPathLeavingTheTargetFolder(@TempDir Path target) {
        assertThatThrownBy(() -> client.download(ID, "../escape.txt", target))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaves the target folder");
        assertThat(server.received).isEmpty();
    }

    @Test
    void artifactsAreListed() {
        server.onJson("GET /runs/" + ID + "/artifacts", 200, "[{\"path\":\"out/r.json\",\"bytes\":10,\"type\":\"file\"}]");

        assertThat(client.artifacts(ID)).containsExactly(new RunState.Artifact("out/r.json", 10, "file"));
    }

    @Test
    void controlCallsUseTheirRoutes() throws Exception {
        for (String action : List.of("cancel", "stop", "pause", "resume")) {
            server.onJson("POST /runs/" + ID + "/" + action, 204, "");
        }
        server.onJson("DELETE /runs/" + ID, 204, "");

        client.cancel(ID);
        client.stop(ID, "SIGINT", Duration.ofSeconds(2));
        JsonNode stop = Json.MAPPER.readTree(server.last().body());
        client.pause(ID);
        client.resume(ID);
        client.delete(ID);

        assertThat(server.received).extracting(r -> r.method() + " " + r.uri().getPath()).containsExactly(
                "POST /runs/" + ID + "/cancel", "POST /runs/" + ID + "/stop", "POST /runs/" + ID + "/pause",
                "POST /runs/" + ID + "/resume", "DELETE /runs/" + ID);
        assertThat(stop.path("signal").asText()).isEqualTo("SIGINT");
        assertThat(stop.path("grace").asLong()).isEqualTo(2000);
    }

    @Test
    void conflictIsThrownFromControlCalls() {
        server.onJson("POST /runs/" + ID + "/resume", 409,
                "{\"error\":\"conflict\",\"message\":\"run " + ID + " is not paused\"}");

        assertThatThrownBy(() -> client.resume(ID)).isInstanceOfSatisfying(LightRunException.class,
                e -> assertThat(e.code()).isEqualTo("conflict"));
    }

    @Test
    void replicasAreListedWithTheOneThatAnswered() {
        server.onJson("GET /replicas", 200, """
                {"self":"replica-a","replicas":[
                 {"name":"replica-a","alive":true,"running":2,"slots":4,"host":"node-1","url":"http://10.0.0.5:3000",
                  "startedAt":"2026-12-01T18:00:00Z","heartbeatAt":"2026-12-01T18:11:15.250Z","aFieldOfANewerServer":1},
                 {"name":"replica-b","alive":false,"running":1,"slots":2,"host":"node-2","url":null,
                  "startedAt":"2026-12-01T17:00:00Z","heartbeatAt":"2026-12-01T18:01:00Z"}]}""");

        ReplicaList list = client.replicas();

        assertThat(server.last().header("Authorization")).isEqualTo("Bearer t0ken");
        assertThat(list.isReplicated()).isTrue();
        assertThat(list.self()).isEqualTo("replica-a");
        assertThat(list.replicas()).containsExactly(
                new Replica("replica-a", true, 2, 4, "node-1", "http://10.0.0.5:3000",
                        Instant.parse("2026-12-01T18:00:00Z"), Instant.parse("2026-12-01T18:11:15.250Z")),
                new Replica("replica-b", false, 1, 2, "node-2", null, Instant.parse("2026-12-01T17:00:00Z"),
                        Instant.parse("2026-12-01T18:01:00Z")));
    }

    @Test
    void aServerThatRunsAloneHasNoReplicas() {
        server.onJson("GET /replicas", 200, "{\"self\":null,\"replicas\":[]}");

        ReplicaList list = client.replicas();

        assertThat(list.isReplicated()).isFalse();
        assertThat(list.replicas()).isEmpty();
    }

    @Test
    void forgetReplicaDeletesItByNameAndSaysHowManyRunsEnded() {
        server.onJson("DELETE /replicas/replica-b", 200, "{\"replica\":\"replica-b\",\"runsEnded\":3}");

        ForgottenReplica forgotten = client.forgetReplica("replica-b");

        assertThat(server.last().method()).isEqualTo("DELETE");
        assertThat(server.last().uri().getPath()).isEqualTo("/replicas/replica-b");
        assertThat(forgotten).isEqualTo(new ForgottenReplica("replica-b", 3));
    }

    @Test
    void forgettingAnAliveReplicaIsAConflictAndAnUnknownOneNotFound() {
        server.onJson("DELETE /replicas/replica-a", 409, "{\"error\":\"conflict\",\"message\":\"replica "
                + "'replica-a' is alive (last heartbeat 2026-12-01T18:11:15Z); stop it before forgetting it\"}");
        server.onJson("DELETE /replicas/nobody", 404,
                "{\"error\":\"not_found\",\"message\":\"replica 'nobody' is not known\"}");

        LightRunException alive = catchThrowableOfType(LightRunException.class,
                () -> client.forgetReplica("replica-a"));
        LightRunException unknown = catchThrowableOfType(LightRunException.class,
                () -> client.forgetReplica("nobody"));

        assertThat(alive.status()).isEqualTo(409);
        assertThat(alive.code()).isEqualTo("conflict");
        assertThat(alive.getMessage()).startsWith("replica 'replica-a' is alive");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.describe()).isEqualTo("not_found: replica 'nobody' is not known");
    }

    @Test
    void awaitFollowsTheLogThenReadsTheFinalState() {
        CountDownLatch followed = new CountDownLatch(1);
        String running = FINAL_STATE.replace("\"succeeded\"", "\"running\"").replace("\"finishedAt\":\"2026-11-27T07:12:31.247Z\"", "\"finishedAt\":null");
        server.on("GET /runs/" + ID, exchange -> FakeServer.json(exchange, 200,
                followed.getCount() == 0 ? FINAL_STATE : running));
        server.on("GET /runs/" + ID + "/logs", exchange -> {
            // The run ends while its log is followed: its final state is there before the follow closes.
            exchange.sendResponseHeaders(200, 0);
            followed.countDown();
            exchange.getResponseBody().close();
        });

        RunState state = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> client.await(ID, Duration.ofSeconds(5)));

        assertThat(state.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(server.received).extracting(r -> r.uri().getPath())
                .containsExactly("/runs/" + ID, "/runs/" + ID + "/logs", "/runs/" + ID);
    }

    @Test
    void awaitGivesUpAtItsMaximum() {
        server.onJson("GET /runs/" + ID, 200, FINAL_STATE.replace("\"succeeded\"", "\"queued\"")
                .replace("\"finishedAt\":\"2026-11-27T07:12:31.247Z\"", "\"finishedAt\":null"));

        LightRunException e = catchThrowableOfType(LightRunException.class,
                () -> client.await(ID, Duration.ofMillis(500)));

        assertThat(e.code()).isEqualTo(LightRunException.TIMEOUT);
        assertThat(e.getMessage()).isEqualTo("run " + ID + " has not ended within 500 ms (it is queued)");
    }

    @Test
    void followPassesEachLineOnceAcrossReconnects() {
        AtomicInteger follows = new AtomicInteger();
        String running = FINAL_STATE.replace("\"succeeded\"", "\"running\"")
                .replace("\"finishedAt\":\"2026-11-27T07:12:31.247Z\"", "\"finishedAt\":null");
        server.on("GET /runs/" + ID, exchange -> FakeServer.json(exchange, 200,
                follows.get() >= 2 ? FINAL_STATE : running));
        server.on("GET /runs/" + ID + "/logs", exchange -> {
            // The first follow ends early (as at the server's follow limit); the second replays from the start.
            List<String> lines = follows.incrementAndGet() == 1 ? List.of("a", "b") : List.of("a", "b", "c");
            StringBuilder body = new StringBuilder();
            lines.forEach(l -> body.append("{\"t\":\"2026-11-27T07:12:31Z\",\"stream\":\"stdout\",\"line\":\"")
                    .append(l).append("\"}\n"));
            FakeServer.json(exchange, 200, body.toString());
        });
        List<String> seen = new CopyOnWriteArrayList<>();

        RunState state = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> client.follow(ID, Duration.ofSeconds(5), line -> seen.add(line.line())));

        assertThat(state.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(seen).containsExactly("a", "b", "c");
    }

    @Test
    void aFailingSinkEndsTheFollow() {
        server.onJson("GET /runs/" + ID, 200, FINAL_STATE.replace("\"succeeded\"", "\"running\""));
        server.onJson("GET /runs/" + ID + "/logs", 200,
                "{\"t\":\"2026-11-27T07:12:31Z\",\"stream\":\"stdout\",\"line\":\"x\"}\n");

        assertThatThrownBy(() -> client.follow(ID, Duration.ofSeconds(5), line -> {
            throw new IllegalStateException("sink is full");
        })).isInstanceOf(IllegalStateException.class).hasMessage("sink is full");
    }

    @Test
    void closeIsIdempotent() {
        client.close();
        client.close();
    }

    private void serveFile(String path, String text) {
        server.on("GET " + path, exchange -> {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Disposition", "attachment");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        });
    }

    private static boolean awaitLatch(CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
