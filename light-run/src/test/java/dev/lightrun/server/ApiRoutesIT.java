package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.runner.docker.DockerRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every route of the API, as a client sees it, against the real daemon. */
class ApiRoutesIT {
    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthSaysOkWithTheDockerAndServerVersions() {
        TestServer.Response response = server.get("/health");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode body = response.json();
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.path("docker").asBoolean()).isTrue();
        assertThat(body.path("version").asText()).isEqualTo(LightRunServer.version()).isNotBlank();
        assertThat(body.path("dockerVersion").asText()).isNotBlank();
    }

    @Test
    void healthIsDegradedWhenTheDaemonDoesNotAnswer(@TempDir Path otherArtifacts) {
        DockerRunner dead = DockerRunner.builder().dockerHost(URI.create("unix:///tmp/no-such.sock")).build();
        try (TestServer degraded = TestServer.start(otherArtifacts, c -> { }, dead)) {
            TestServer.Response response = degraded.get("/health");

            assertThat(response.status()).isEqualTo(503);
            JsonNode body = response.json();
            assertThat(body.path("status").asText()).isEqualTo("degraded");
            assertThat(body.path("docker").asBoolean(true)).isFalse();
            assertThat(body.path("version").asText()).isEqualTo(LightRunServer.version());
            assertThat(body.path("error").asText()).isNotBlank();
        }
    }

    @Test
    void syncRunAnswersTheFinalStateWithExitCodeAndLogs() {
        JsonNode state = server.runSync(busybox("echo to-stdout; echo to-stderr >&2; cat marker.txt; exit 3"));

        String id = state.path("id").asText();
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(state.path("status").asText()).isEqualTo("failed");
        assertThat(state.path("exitCode").asInt()).isEqualTo(3);
        assertThat(state.path("errorCode").asText()).isEqualTo("NONZERO_EXIT");
        assertThat(state.path("image").asText()).isEqualTo(TestServer.BUSYBOX);
        assertThat(state.path("detached").asBoolean()).isFalse();
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("to-stdout\nlight-run test");
        assertThat(state.path("logs").path("stderr").asText()).isEqualTo("to-stderr\n");
        assertThat(state.path("logs").path("stdoutTruncated").asBoolean()).isFalse();
        assertThat(state.path("startedAt").asText()).isNotBlank();
        assertThat(state.path("finishedAt").asText()).isNotBlank();
        assertThat(state.path("durationMs").isIntegralNumber()).isTrue();
        assertThat(state.path("timedOut").asBoolean()).isFalse();
        assertThat(state.path("oomKilled").asBoolean()).isFalse();
        assertThat(state.has("timings")).isTrue();
        assertThat(server.get("/runs/" + id).json()).isEqualTo(state);
        assertNoContainersLeftFor(id);

        JsonNode ok = server.runSync(busybox("echo fine"));
        assertThat(ok.path("status").asText()).isEqualTo("succeeded");
        assertThat(ok.path("exitCode").asInt()).isZero();
        assertThat(ok.path("error").isNull()).isTrue();
        assertThat(ok.path("errorCode").isNull()).isTrue();
        assertThat(ok.path("logs").path("stdout").asText()).isEqualTo("fine\n");
    }

    @Test
    void detachedRunAnswers202AtOnceThenFinishes() {
        TestServer.Response accepted = server.submit(busybox("sleep 1; echo later").put("detached", true));

        assertThat(accepted.status()).isEqualTo(202);
        JsonNode body = accepted.json();
        String id = body.path("id").asText();
        assertThat(body.path("status").asText()).isEqualTo("running");
        assertThat(body.path("url").asText()).isEqualTo("/runs/" + id);
        assertThat(accepted.header("Location")).isEqualTo("/runs/" + id);
        JsonNode running = server.get("/runs/" + id).json();
        assertThat(running.path("status").asText()).isEqualTo("running");
        assertThat(running.path("detached").asBoolean()).isTrue();
        assertThat(running.path("finishedAt").isNull()).isTrue();

        JsonNode done = server.awaitFinished(id);
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("exitCode").asInt()).isZero();
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("later\n");
        assertNoContainersLeftFor(id);
    }

    @Test
    void listShowsRunsNewestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(server.runSync(busybox("echo " + i)).path("id").asText());
        }

        TestServer.Response response = server.get("/runs");

        assertThat(response.status()).isEqualTo(200);
        List<String> listed = texts(response.json(), "id");
        assertThat(listed).containsSubsequence(ids.reversed());
        assertThat(listed).isSortedAccordingTo((a, b) -> b.compareTo(a));
        JsonNode newest = response.json().get(listed.indexOf(ids.get(2)));
        assertThat(newest.path("logs").path("stdout").asText()).isEqualTo("2\n");
    }

    @Test
    void unknownRunIs404() {
        for (String path : List.of("/runs/0190a0a0-0000-7000-8000-000000000000", "/runs/not-a-uuid",
                "/runs/0190a0a0-0000-7000-8000-000000000000/artifacts",
                "/runs/0190a0a0-0000-7000-8000-000000000000/artifacts/x.txt")) {
            TestServer.Response response = server.get(path);
            assertThat(response.status()).as(path).isEqualTo(404);
            assertThat(response.json().path("error").asText()).as(path).isEqualTo("not_found");
            assertThat(response.json().path("message").asText()).as(path).isNotBlank();
        }
        TestServer.Response cancel = server.post("/runs/0190a0a0-0000-7000-8000-000000000000/cancel");
        assertThat(cancel.status()).isEqualTo(404);
        assertThat(cancel.json().path("error").asText()).isEqualTo("not_found");
        TestServer.Response delete = server.delete("/runs/0190a0a0-0000-7000-8000-000000000000");
        assertThat(delete.status()).isEqualTo(404);
        assertThat(delete.json().path("error").asText()).isEqualTo("not_found");
    }

    @Test
    void unknownRouteOrMethodIsAJsonNotFound() {
        List<TestServer.Response> answers = List.of(server.get("/nope"), server.get("/runs/x/y/z"),
                TestServer.send(server.request("/run").PUT(HttpRequest.BodyPublishers.noBody()).build()),
                server.delete("/runs"));

        for (TestServer.Response response : answers) {
            assertThat(response.status()).as("%s", response).isEqualTo(404);
            assertThat(response.header("Content-Type")).startsWith("application/json");
            assertThat(response.json().path("error").asText()).as("%s", response).isEqualTo("not_found");
            assertThat(response.json().path("message").asText()).isNotBlank();
        }
    }

    @Test
    void cancelEndsARunningRunAndASecondCancelIs404() {
        String id = server.runDetached(busybox("sleep 60"));
        server.awaitRunning(id);

        TestServer.Response cancel = server.post("/runs/" + id + "/cancel");

        assertThat(cancel.status()).isEqualTo(204);
        assertThat(cancel.body()).isEmpty();
        JsonNode done = server.awaitFinished(id, Duration.ofSeconds(20));
        assertThat(done.path("status").asText()).isEqualTo("cancelled");
        assertThat(done.path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(done.path("durationMs").asLong()).isLessThan(30_000);
        TestServer.Response again = server.post("/runs/" + id + "/cancel");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.json().path("error").asText()).isEqualTo("not_found");
        assertNoContainersLeftFor(id);
    }

    @Test
    void cancellingASyncRunAnswersItsWaitingClientWithTheCancelledState() {
        var answer = TestServer.http().sendAsync(server.request("/run")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(busybox("sleep 60")))).build(),
                HttpResponse.BodyHandlers.ofString());
        String[] id = new String[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (JsonNode run : server.get("/runs").json()) {
                if (run.path("status").asText().equals("running") && !run.path("detached").asBoolean()) {
                    id[0] = run.path("id").asText();
                    return true;
                }
            }
            return false;
        });

        assertThat(server.post("/runs/" + id[0] + "/cancel").status()).isEqualTo(204);

        var response = answer.orTimeout(20, TimeUnit.SECONDS).join();
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode state = TestServer.JSON.valueToTree(parse(response.body()));
        assertThat(state.path("id").asText()).isEqualTo(id[0]);
        assertThat(state.path("status").asText()).isEqualTo("cancelled");
        assertNoContainersLeftFor(id[0]);
    }

    private static JsonNode parse(String json) {
        try {
            return TestServer.JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    @Test
    void deleteRemovesAFinishedRunAndItsFiles() {
        JsonNode state = server.runSync(busybox("mkdir -p out && echo kept > out/a.txt").set("extract",
                TestServer.JSON.valueToTree(List.of("/app/out"))));
        String id = state.path("id").asText();
        Path folder = artifacts.resolve(id);
        assertThat(folder.resolve("out/a.txt")).hasContent("kept");

        TestServer.Response delete = server.delete("/runs/" + id);

        assertThat(delete.status()).isEqualTo(204);
        assertThat(delete.body()).isEmpty();
        assertThat(folder).doesNotExist();
        assertThat(server.get("/runs/" + id).status()).isEqualTo(404);
        assertThat(server.get("/runs/" + id + "/artifacts/out/a.txt").status()).isEqualTo(404);
        assertThat(texts(server.get("/runs").json(), "id")).doesNotContain(id);
        assertThat(server.delete("/runs/" + id).status()).isEqualTo(404);
    }

    @Test
    void deleteWhileRunningIs409() {
        String id = server.runDetached(busybox("sleep 60"));
        server.awaitRunning(id);

        TestServer.Response delete = server.delete("/runs/" + id);

        assertThat(delete.status()).isEqualTo(409);
        assertThat(delete.json().path("error").asText()).isEqualTo("conflict");
        assertThat(delete.json().path("message").asText()).contains("running");
        assertThat(server.get("/runs/" + id).json().path("status").asText()).isEqualTo("running");
        assertThat(server.post("/runs/" + id + "/cancel").status()).isEqualTo(204);
        assertThat(server.awaitFinished(id).path("status").asText()).isEqualTo("cancelled");
        assertThat(server.delete("/runs/" + id).status()).isEqualTo(204);
        assertNoContainersLeftFor(id);
    }

    @Test
    void artifactsAreListedDownloadedAndBrowsedByFolder() throws Exception {
        ObjectNode request = busybox("mkdir -p out/sub && printf '{\"ok\":true}' > out/result.json"
                + " && printf 'plain' > out/notes.txt && printf 'deep' > out/sub/deep.bin");
        request.set("extract", TestServer.JSON.valueToTree(List.of("/app/out")));
        JsonNode state = server.runSync(request);
        String id = state.path("id").asText();

        TestServer.Response list = server.get("/runs/" + id + "/artifacts");
        assertThat(list.status()).isEqualTo(200);
        Map<String, JsonNode> entries = TestServer.byPath(list.json());
        assertThat(entries.keySet()).containsExactlyInAnyOrder("out", "out/result.json", "out/notes.txt", "out/sub",
                "out/sub/deep.bin");
        assertThat(entries.get("out").path("type").asText()).isEqualTo("directory");
        assertThat(entries.get("out/result.json").path("type").asText()).isEqualTo("file");
        assertThat(entries.get("out/result.json").path("bytes").asLong()).isEqualTo(11);
        assertThat(list.json()).isEqualTo(state.path("artifacts"));

        TestServer.Response json = server.get("/runs/" + id + "/artifacts/out/result.json");
        assertThat(json.status()).isEqualTo(200);
        assertThat(json.text()).isEqualTo("{\"ok\":true}");
        assertThat(json.header("Content-Length")).isEqualTo("11");
        assertThat(json.header("Content-Type")).startsWith("application/json");

        TestServer.Response text = server.get("/runs/" + id + "/artifacts/out/notes.txt");
        assertThat(text.status()).isEqualTo(200);
        assertThat(text.body()).isEqualTo("plain".getBytes(StandardCharsets.UTF_8));
        assertThat(text.header("Content-Length")).isEqualTo("5");
        assertThat(text.header("Content-Type")).startsWith("text/plain");

        TestServer.Response bin = server.get("/runs/" + id + "/artifacts/out/sub/deep.bin");
        assertThat(bin.status()).isEqualTo(200);
        assertThat(bin.text()).isEqualTo("deep");
        assertThat(bin.header("Content-Type")).isEqualTo("application/octet-stream");

        TestServer.Response folder = server.get("/runs/" + id + "/artifacts/out/sub");
        assertThat(folder.status()).isEqualTo(200);
        assertThat(folder.header("Content-Type")).startsWith("application/json");
        assertThat(texts(folder.json(), "path")).containsExactly("out/sub/deep.bin");
        assertThat(folder.json().get(0).path("bytes").asLong()).isEqualTo(4);

        TestServer.Response top = server.get("/runs/" + id + "/artifacts/out");
        assertThat(texts(top.json(), "path")).containsExactlyInAnyOrder("out/result.json", "out/notes.txt",
                "out/sub", "out/sub/deep.bin");

        TestServer.Response missing = server.get("/runs/" + id + "/artifacts/out/nope.txt");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("error").asText()).isEqualTo("not_found");
        assertThat(Files.readString(artifacts.resolve(id).resolve("out/result.json"))).isEqualTo("{\"ok\":true}");
    }
}
