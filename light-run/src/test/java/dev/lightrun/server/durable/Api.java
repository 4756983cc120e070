package dev.lightrun.server.durable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The HTTP API of one server, as a client sees it: status codes, headers and JSON bodies. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String BUSYBOX = "light-run-test/busybox";
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final URI base;
    /** Sent as {@code Authorization: Bearer} with every request; null: none. */
    private final String token;

    Api(URI base) {
        this(base, null);
    }

    private Api(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /** The same server, every request with {@code Authorization: Bearer <token>}. */
    Api withToken(String value) {
        return new Api(base, value);
    }

    URI uri(String path) {
        return base.resolve(path);
    }

    HttpResponse<String> get(String path) {
        return ServerProcess.send(CLIENT, request(path).timeout(Duration.ofSeconds(30)).GET().build());
    }

    HttpResponse<String> post(String path, Object body) {
        return ServerProcess.send(CLIENT, postRequest(path, body, Duration.ofSeconds(60)));
    }

    HttpResponse<String> delete(String path) {
        return ServerProcess.send(CLIENT, request(path).timeout(Duration.ofSeconds(30)).DELETE().build());
    }

    /** A request sent without waiting for the answer (a sync run the test does not block on). */
    CompletableFuture<HttpResponse<String>> postAsync(String path, Object body, Duration timeout) {
        return CLIENT.sendAsync(postRequest(path, body, timeout), HttpResponse.BodyHandlers.ofString());
    }

    /** A request to {@code path}, with the token when there is one. */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path));
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    private HttpRequest postRequest(String path, Object body, Duration timeout) {
        return request(path)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : write(body)))
                .build();
    }

    /** Submits a detached run and returns its id (asserting the 202 and that it started at once). */
    String submitDetached(Map<String, Object> request) {
        return submitDetached(request, "running");
    }

    /**
     * Submits a detached run and returns its id, asserting the 202 and the status it was accepted in ({@code queued}
     * on a replica: every run goes through the queue replicas share).
     */
    String submitDetached(Map<String, Object> request, String acceptedStatus) {
        Map<String, Object> body = new java.util.LinkedHashMap<>(request);
        body.put("detached", true);
        HttpResponse<String> response = post("/run", body);
        assertThat(response.statusCode()).as("POST /run (detached): %s", response.body()).isEqualTo(202);
        JsonNode accepted = json(response);
        assertThat(accepted.path("status").asText()).isEqualTo(acceptedStatus);
        return accepted.path("id").asText();
    }

    /** Submits a sync run and returns its final state (asserting the 200). */
    JsonNode runSync(Map<String, Object> request) {
        HttpResponse<String> response = post("/run", request);
        assertThat(response.statusCode()).as("POST /run (sync): %s", response.body()).isEqualTo(200);
        return json(response);
    }

    JsonNode run(String id) {
        HttpResponse<String> response = get("/runs/" + id);
        assertThat(response.statusCode()).as("GET /runs/%s: %s", id, response.body()).isEqualTo(200);
        return json(response);
    }

    String status(String id) {
        return run(id).path("status").asText();
    }

    /** Waits until the run has ended (neither queued nor running) and returns its final state. */
    JsonNode awaitFinished(String id, Duration atMost) {
        await("run " + id + " finished").atMost(atMost).pollInterval(Duration.ofMillis(100))
                .until(() -> !List.of("queued", "running").contains(status(id)));
        return run(id);
    }

    /** The run's captured log as text (GET /runs/{id}/logs with the given query). */
    String logs(String id, String query) {
        HttpResponse<String> response = get("/runs/" + id + "/logs" + (query.isEmpty() ? "" : "?" + query));
        assertThat(response.statusCode()).as("GET logs of %s: %s", id, response.body()).isEqualTo(200);
        return response.body();
    }

    /** Ids of the runs listed as running (all of them: the server is this test's own). */
    List<String> runningIds() {
        List<String> ids = new ArrayList<>();
        json(get("/runs?status=running&limit=1000")).forEach(run -> ids.add(run.path("id").asText()));
        return ids;
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON (HTTP " + response.statusCode() + "): " + response.body(), e);
        }
    }

    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A busybox run request: one script file run with {@code sh}. */
    static Map<String, Object> script(String script, Object... more) {
        Map<String, Object> request = new java.util.LinkedHashMap<>();
        request.put("image", BUSYBOX);
        request.put("files", Map.of("job.sh", script));
        request.put("entrypoint", "sh job.sh");
        for (int i = 0; i < more.length; i += 2) {
            request.put((String) more[i], more[i + 1]);
        }
        return request;
    }

    /** A busybox run whose shell is PID 1 (signals reach the script's own traps). */
    static Map<String, Object> inline(String entrypoint, Object... more) {
        Map<String, Object> request = script("", more);
        request.put("files", Map.of("README", "the workload is the entrypoint"));
        request.put("entrypoint", entrypoint);
        return request;
    }
}
