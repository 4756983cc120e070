package dev.lightrun.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.docker.DockerRunner;
import dev.lightrun.server.config.ServerConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A light-run server started in-process on a free port with a real Docker runner, plus the small HTTP and JSON helpers
 * the end-to-end tests share. One per test class (or per test when a test needs special settings).
 */
public final class TestServer implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String BUSYBOX = "light-run-test/busybox";
    public static final String PYNODE = "light-run-test/pynode";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    public final LightRunServer server;
    public final Path artifactsDir;
    private final String token;

    private TestServer(LightRunServer server, Path artifactsDir, String token) {
        this.server = server;
        this.artifactsDir = artifactsDir;
        this.token = token;
    }

    /** A server on port 0 with its artifacts in {@code artifactsDir} and the daemon from the environment. */
    public static TestServer start(Path artifactsDir) {
        return start(artifactsDir, c -> { });
    }

    public static TestServer start(Path artifactsDir, Consumer<ServerConfig.Builder> settings) {
        ServerConfig config = testConfig(artifactsDir, settings);
        return new TestServer(LightRunServer.start(config, LightRunServer.runnerFor(config)), artifactsDir,
                config.token());
    }

    public static TestServer start(Path artifactsDir, Consumer<ServerConfig.Builder> settings, Runner runner) {
        ServerConfig config = testConfig(artifactsDir, settings);
        return new TestServer(LightRunServer.start(config, runner), artifactsDir, config.token());
    }

    /**
     * Port 0; the run store next to the artifacts (each server its own, so its instance name and recovery are its
     * own); callback receivers on loopback allowed (the SSRF guard refuses them by default); enough slots that
     * concurrent tests are not queued unless a test asks for a small cap.
     */
    public static ServerConfig.Builder testDefaults(Path artifactsDir) {
        return ServerConfig.builder().port(0).artifactsDir(artifactsDir)
                .dataDir(artifactsDir.resolveSibling(artifactsDir.getFileName() + "-data"))
                .callbacks(c -> c.allow(java.util.List.of("127.0.0.0/8")))
                .policy(p -> p.maxConcurrent(16).maxQueue(100));
    }

    /** The test defaults with a test's own settings on top. */
    private static ServerConfig testConfig(Path artifactsDir, Consumer<ServerConfig.Builder> settings) {
        ServerConfig.Builder builder = testDefaults(artifactsDir);
        settings.accept(builder);
        return builder.build();
    }

    public int port() {
        return server.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    // ---- HTTP ----------------------------------------------------------------------------------------------------

    /** What a client sees: status, headers and the raw body. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("body is not JSON: " + text(), e);
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + (body.length > 2000 ? text().substring(0, 2000) + "..." : text());
        }
    }

    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    public static Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static HttpClient http() {
        return HTTP;
    }

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    public Response get(String path, String headerName, String headerValue) {
        return send(request(path).header(headerName, headerValue).GET().build());
    }

    public Response delete(String path) {
        return send(request(path).DELETE().build());
    }

    public Response post(String path) {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    public Response postJson(String path, Object body) {
        return postRaw(path, toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    public Response postRaw(String path, byte[] body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** POST /run and the response, whatever it is. */
    public Response submit(Object body) {
        return postJson("/run", body);
    }

    /** A sync run that must answer 200: its final state. */
    public JsonNode runSync(Object body) {
        Response response = submit(body);
        assertThat(response.status()).as("sync run answer %s", response).isEqualTo(200);
        return response.json();
    }

    /** A detached run that must answer 202: its id. */
    public String runDetached(ObjectNode body) {
        Response response = submit(body.put("detached", true));
        assertThat(response.status()).as("detached answer %s", response).isEqualTo(202);
        JsonNode accepted = response.json();
        assertThat(accepted.path("status").asText()).isEqualTo("running");
        return accepted.path("id").asText();
    }

    /** A detached run that must answer 202 with status "queued" (every slot taken): its id. */
    public String runQueued(ObjectNode body) {
        Response response = submit(body.put("detached", true));
        assertThat(response.status()).as("detached answer %s", response).isEqualTo(202);
        JsonNode accepted = response.json();
        assertThat(accepted.path("status").asText()).as("detached answer %s", response).isEqualTo("queued");
        return accepted.path("id").asText();
    }

    /** Polls GET /runs/{id} until the run has a terminal status; returns that state. */
    public JsonNode awaitFinished(String id, Duration atMost) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> {
            Response response = get("/runs/" + id);
            assertThat(response.status()).as("GET /runs/%s: %s", id, response).isEqualTo(200);
            last[0] = response.json();
            String status = last[0].path("status").asText();
            return !status.equals("running") && !status.equals("queued");
        });
        return last[0];
    }

    public JsonNode awaitFinished(String id) {
        return awaitFinished(id, Duration.ofSeconds(60));
    }

    /** Polls GET /runs/{id} until the run is visibly running (its container has been asked for). */
    public void awaitRunning(String id) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/runs/" + id).json().path("status").asText().equals("running"));
    }

    // ---- JSON ----------------------------------------------------------------------------------------------------

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** {image, files: {marker.txt}, entrypoint}: the smallest valid request. */
    public static ObjectNode busybox(String entrypoint) {
        ObjectNode body = object().put("image", BUSYBOX).put("entrypoint", entrypoint);
        body.putObject("files").put("marker.txt", "light-run test");
        return body;
    }

    public static ObjectNode pynode(String entrypoint) {
        ObjectNode body = object().put("image", PYNODE).put("entrypoint", entrypoint);
        body.putObject("files");
        return body;
    }

    public static String toJson(Object body) {
        if (body instanceof String s) {
            return s;
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static List<String> texts(JsonNode array, String field) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.path(field).asText()));
        return values;
    }

    public static Map<String, JsonNode> byPath(JsonNode artifacts) {
        Map<String, JsonNode> map = new LinkedHashMap<>();
        artifacts.forEach(a -> map.put(a.path("path").asText(), a));
        return map;
    }

    // ---- Docker --------------------------------------------------------------------------------------------------

    /** Ids of every container, running or not, labelled with this run id. */
    public static List<String> containersOf(String runId) {
        return docker("ps", "-a", "-q", "--filter", "label=dev.lightrun.run-id=" + runId);
    }

    /** Asserts that the run left no container behind. */
    public static void assertNoContainersLeftFor(String runId) {
        assertThat(containersOf(runId)).as("containers left by run %s", runId).isEmpty();
        assertThat(docker("ps", "-a", "-q", "--filter", "name=^/lightrun-" + runId + "$"))
                .as("container named lightrun-%s", runId).isEmpty();
    }

    public static List<String> docker(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + out);
            }
            return out.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
