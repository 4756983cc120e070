package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.pynode;
import static org.assertj.core.api.Assertions.assertThat;

/** Real workloads end to end: programs, inputs, build steps, files in and out, big and binary and unicode. */
class WorkloadsIT {
    @RegisterExtension
    static final TestServer server = TestServer.extension();

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Percent-encodes each segment of an artifact path as UTF-8. */
    static String encodePath(String path) {
        return Arrays.stream(path.split("/"))
                .map(s -> URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("/"));
    }

    static ObjectNode extract(ObjectNode body, String... paths) {
        body.set("extract", TestServer.JSON.valueToTree(List.of(paths)));
        return body;
    }

    @Test
    void pythonReadsJsonInputAndWritesAResultFileThatIsDownloaded() {
        ObjectNode body = pynode("python3 main.py");
        ((ObjectNode) body.get("files")).put("main.py", """
                import json, os, sys
                data = json.load(sys.stdin)
                os.makedirs("/app/out", exist_ok=True)
                with open("/app/out/result.json", "w") as f:
                    json.dump({"sum": sum(data["numbers"]), "greeting": "hello " + data["name"]}, f)
                print("processed", len(data["numbers"]))
                """);
        ObjectNode input = body.putObject("input").put("name", "light-run");
        input.putArray("numbers").add(1).add(2).add(39);
        extract(body, "/app/out/result.json");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("processed 3\n");
        assertThat(TestServer.byPath(state.path("artifacts"))).containsOnlyKeys("result.json");
        String id = state.path("id").asText();
        TestServer.Response result = server.get("/runs/" + id + "/artifacts/result.json");
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.header("Content-Type")).startsWith("application/json");
        assertThat(result.json().path("sum").asInt()).isEqualTo(42);
        assertThat(result.json().path("greeting").asText()).isEqualTo("hello light-run");
        assertNoContainersLeftFor(id);
    }

    @Test
    void nodeProjectWithLocalModules() {
        ObjectNode body = pynode("node index.js");
        ((ObjectNode) body.get("files"))
                .put("index.js", """
                        const calc = require('./lib/calc');
                        const { shout } = require('./lib/text/shout.js');
                        console.log(JSON.stringify({ sum: calc.add(20, 22), word: shout('node') }));
                        """)
                .put("lib/calc.js", "module.exports = { add: (a, b) => a + b };\n")
                .put("lib/text/shout.js", "exports.shout = (s) => s.toUpperCase() + '!';\n")
                .put("package.json", "{\"name\": \"multi\", \"version\": \"1.0.0\"}");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("{\"sum\":42,\"word\":\"NODE!\"}\n");
        assertNoContainersLeftFor(state.path("id").asText());
    }

    @Test
    void buildStepInstallsAFileUsedAtRunTime() {
        ObjectNode body = pynode("cat /opt/marker && python3 app.py");
        ((ObjectNode) body.get("files")).put("app.py", "print(open('/opt/marker').read().strip().upper())\n");
        body.putArray("run").add("echo built > /opt/marker");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("built\nBUILT\n");
        assertNoContainersLeftFor(state.path("id").asText());

        JsonNode again = server.runSync(body);
        assertThat(again.path("status").asText()).isEqualTo("succeeded");
        assertThat(again.path("logs").path("stdout").asText()).isEqualTo("built\nBUILT\n");
    }

    @Test
    void failingBuildStepFailsTheRunWithItsOutput() {
        ObjectNode body = busybox("echo never");
        body.putArray("run").add("echo step-output-marker; exit 7");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).isEqualTo("failed");
        assertThat(state.path("errorCode").asText()).isEqualTo("BUILD_FAILED");
        assertThat(state.path("error").asText()).contains("step-output-marker");
        assertThat(state.path("exitCode").isNull()).isTrue();
        assertThat(state.path("logs").path("stdout").asText()).isEmpty();
        assertNoContainersLeftFor(state.path("id").asText());
    }

    @Test
    void nestedFoldersAreExtractedWithTheirStructure() {
        JsonNode state = server.runSync(extract(busybox("mkdir -p out/a/b/c && echo deep > out/a/b/c/deep.txt"
                + " && echo mid > out/a/mid.txt && echo top > out/top.txt && mkdir out/empty"), "/app/out"));

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        Map<String, JsonNode> entries = TestServer.byPath(state.path("artifacts"));
        assertThat(entries.keySet()).containsExactlyInAnyOrder("out", "out/a", "out/a/b", "out/a/b/c",
                "out/a/b/c/deep.txt", "out/a/mid.txt", "out/top.txt", "out/empty");
        assertThat(entries.get("out/a/b/c").path("type").asText()).isEqualTo("directory");
        assertThat(entries.get("out/empty").path("type").asText()).isEqualTo("directory");
        assertThat(entries.get("out/a/b/c/deep.txt").path("bytes").asLong()).isEqualTo(5);
        String id = state.path("id").asText();
        assertThat(server.get("/runs/" + id + "/artifacts/out/a/b/c/deep.txt").text()).isEqualTo("deep\n");
        assertThat(server.get("/runs/" + id + "/artifacts/out/top.txt").text()).isEqualTo("top\n");
        assertThat(TestServer.texts(server.get("/runs/" + id + "/artifacts/out/a").json(), "path"))
                .containsExactlyInAnyOrder("out/a/b", "out/a/b/c", "out/a/b/c/deep.txt", "out/a/mid.txt");
        assertThat(server.get("/runs/" + id + "/artifacts/out/empty").json()).isEmpty();
        assertThat(server.artifactsDir.resolve(id).resolve("out/a/b/c/deep.txt")).hasContent("deep");
    }

    @Test
    void multiMegabyteBinaryArtifactIsDownloadedByteExactAndByRange() throws Exception {
        int size = 8 * 1024 * 1024;
        JsonNode state = server.runSync(extract(busybox("mkdir out && dd if=/dev/urandom of=out/blob.bin bs=1048576"
                + " count=8 2>/dev/null && sha256sum out/blob.bin"), "/app/out"));
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        String inside = state.path("logs").path("stdout").asText().split("\\s+")[0];
        assertThat(inside).hasSize(64);
        String url = "/runs/" + state.path("id").asText() + "/artifacts/out/blob.bin";

        TestServer.Response whole = server.get(url);

        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.header("Content-Length")).isEqualTo(Integer.toString(size));
        assertThat(whole.header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(whole.body()).hasSize(size);
        assertThat(sha256(whole.body())).isEqualTo(inside);

        TestServer.Response slice = server.get(url, "Range", "bytes=1048576-1049575");
        assertThat(slice.status()).isEqualTo(206);
        assertThat(slice.header("Content-Range")).isEqualTo("bytes 1048576-1049575/" + size);
        assertThat(slice.header("Content-Length")).isEqualTo("1000");
        assertThat(slice.body()).isEqualTo(Arrays.copyOfRange(whole.body(), 1048576, 1049576));

        TestServer.Response tail = server.get(url, "Range", "bytes=-100");
        assertThat(tail.status()).isEqualTo(206);
        assertThat(tail.header("Content-Range")).isEqualTo("bytes " + (size - 100) + "-" + (size - 1) + "/" + size);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(whole.body(), size - 100, size));

        TestServer.Response open = server.get(url, "Range", "bytes=" + (size - 10) + "-");
        assertThat(open.status()).isEqualTo(206);
        assertThat(open.body()).isEqualTo(Arrays.copyOfRange(whole.body(), size - 10, size));

        TestServer.Response beyond = server.get(url, "Range", "bytes=" + size + "-");
        assertThat(beyond.status()).isEqualTo(416);
        assertThat(beyond.header("Content-Range")).isEqualTo("bytes */" + size);
        assertThat(beyond.body()).isEmpty();
    }

    @Test
    void unicodeInFilesEnvLogsAndArtifactNames() {
        String text = "日本語 ✓ 🎉 Ünïcödé\n";
        String greeting = "grüße 🌍 — ok";
        ObjectNode body = busybox("cat 'données/ünï.txt'; printf '%s\\n' \"$GREETING\"; echo 'ß✓ stderr' >&2;"
                + " mkdir -p out && cp 'données/ünï.txt' 'out/résumé ✓.txt'");
        ((ObjectNode) body.get("files")).put("données/ünï.txt", text);
        body.putObject("env").put("GREETING", greeting);
        extract(body, "/app/out");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo(text + greeting + "\n");
        assertThat(state.path("logs").path("stderr").asText()).isEqualTo("ß✓ stderr\n");
        assertThat(TestServer.byPath(state.path("artifacts"))).containsKey("out/résumé ✓.txt");
        TestServer.Response file = server.get("/runs/" + state.path("id").asText() + "/artifacts/"
                + encodePath("out/résumé ✓.txt"));
        assertThat(file.status()).as("download %s", file).isEqualTo(200);
        assertThat(file.text()).isEqualTo(text);
        assertThat(file.header("Content-Length"))
                .isEqualTo(Integer.toString(text.getBytes(StandardCharsets.UTF_8).length));
    }

    @Test
    void burstOfConcurrentSyncRunsAllAnswerCorrectly() {
        int runs = 8;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ObjectNode body = busybox("echo run-" + i + "; cat marker.txt; sleep 1");
            ((ObjectNode) body.get("files")).put("marker.txt", "payload-" + i);
            answers.add(TestServer.http().sendAsync(server.request("/run")
                    .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(body))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            HttpResponse<String> response = answers.get(i).join();
            assertThat(response.statusCode()).as("run %d: %s", i, response.body()).isEqualTo(200);
            JsonNode state = TestServer.JSON.valueToTree(parse(response.body()));
            assertThat(state.path("status").asText()).isEqualTo("succeeded");
            assertThat(state.path("logs").path("stdout").asText()).isEqualTo("run-" + i + "\npayload-" + i);
            ids.add(state.path("id").asText());
        }
        assertThat(new HashSet<>(ids)).hasSize(runs);
        assertThat(TestServer.texts(server.get("/runs").json(), "id")).containsAll(ids);
        ids.forEach(TestServer::assertNoContainersLeftFor);
    }

    private static JsonNode parse(String json) {
        try {
            return TestServer.JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    @Test
    void binaryFileSentAsBase64RoundTrips() throws Exception {
        byte[] bytes = new byte[4096];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + (i >> 8));
        }
        ObjectNode body = busybox("sha256sum data/blob.bin && mkdir -p out && cp data/blob.bin out/");
        ((ObjectNode) body.get("files")).putObject("data/blob.bin")
                .put("base64", Base64.getEncoder().encodeToString(bytes));
        extract(body, "/app/out");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).startsWith(sha256(bytes) + "  data/blob.bin");
        TestServer.Response file = server.get("/runs/" + state.path("id").asText() + "/artifacts/out/blob.bin");
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.body()).isEqualTo(bytes);
    }

    @Test
    void timeoutKillsTheRunAndSaysSo() {
        long started = System.nanoTime();
        JsonNode state = server.runSync(busybox("echo before; sleep 30").put("timeout", 1500));
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(state.path("status").asText()).isEqualTo("failed");
        assertThat(state.path("timedOut").asBoolean()).isTrue();
        assertThat(state.path("errorCode").asText()).isEqualTo("TIMED_OUT");
        assertThat(state.path("error").asText()).containsIgnoringCase("timeout").contains("1500");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("before\n");
        assertThat(state.path("durationMs").asLong()).as("container run time").isLessThan(10_000);
        assertThat(tookMs).as("answered long before sleep 30 could end").isLessThan(28_000);
        assertNoContainersLeftFor(state.path("id").asText());
    }
}
