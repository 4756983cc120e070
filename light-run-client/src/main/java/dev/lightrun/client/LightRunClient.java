package dev.lightrun.client;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A client of one light-run server's HTTP API (docs/api.md): submit runs, wait for them, follow their logs, download
 * their files, control them; list and forget replicas.
 *
 * <pre>{@code
 * try (LightRunClient client = LightRunClient.builder().url(URI.create("http://127.0.0.1:3000")).token(token).build()) {
 *     RunState run = client.run(RunRequest.builder("light-run-test/busybox").entrypoint("echo hi").build());
 *     System.out.println(run.exitCode() + " " + run.logs().stdout());
 * }
 * }</pre>
 *
 * <p>Every method throws {@link LightRunException} for whatever went wrong: the server's error (with its code, status
 * and field details), no connection ({@code unreachable}), a deadline ({@code timeout}), an interrupt
 * ({@code interrupted}, the flag set again). Each call has a deadline: {@link Builder#requestTimeout} for an answer
 * (a sync run and a log follow get longer ones, see there). Thread-safe: share one client; {@link #close()} when done.
 */
public final class LightRunClient implements AutoCloseable {
    /** Where {@code bin/light-run serve} listens by default. */
    public static final String DEFAULT_URL_TEXT = "http://127.0.0.1:3000";
    public static final URI DEFAULT_URL = URI.create(DEFAULT_URL_TEXT);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The server's run timeout when a request sets none (its {@code LIGHT_RUN_DEFAULT_TIMEOUT_MS} default). */
    static final Duration SERVER_DEFAULT_RUN_TIMEOUT = Duration.ofSeconds(60);
    /** The server ends any follow after 70 minutes (a run lasts at most an hour): a follow's deadline. */
    static final Duration FOLLOW_TIMEOUT = Duration.ofMinutes(75);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    private static final JavaType RUN_LIST = Json.MAPPER.getTypeFactory()
            .constructCollectionType(List.class, RunState.class);
    private static final JavaType ARTIFACT_LIST = Json.MAPPER.getTypeFactory()
            .constructCollectionType(List.class, RunState.Artifact.class);
    private static final JavaType RUN_STATE = Json.MAPPER.constructType(RunState.class);
    private static final JavaType JSON_NODE = Json.MAPPER.constructType(JsonNode.class);
    private static final JavaType REPLICA_LIST = Json.MAPPER.constructType(ReplicaList.class);
    private static final JavaType FORGOTTEN_REPLICA = Json.MAPPER.constructType(ForgottenReplica.class);

    private final Transport transport;
    private final URI url;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LightRunClient(Transport transport, URI url) {
        this.transport = transport;
        this.url = url;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A copy of the JSON mapper the client reads the API with (ISO instants, durations as milliseconds, unknown fields
     * ignored): to print or store the records the way the API writes them.
     */
    public static ObjectMapper jsonMapper() {
        return Json.MAPPER.copy();
    }

    /** The server's address. */
    public URI url() {
        return url;
    }

    // ---- runs ----------------------------------------------------------------------------------------------------

    /**
     * {@code POST /run} sync: waits for the run to end and returns its final state, whatever the outcome (a failed
     * run is a state, not an exception). The answer may take as long as the run: the deadline is the request timeout
     * plus the run's timeout (or the server's default of 60 s). A run that waits in the server's queue longer than the
     * request timeout times out here and still finishes on the server; for long queues use {@link #submit} and
     * {@link #await}.
     *
     * @throws LightRunException the server refused it ({@code bad_request}, {@code queue_full}, ...) or no answer came
     */
    public RunState run(RunRequest request) {
        Duration runTimeout = Objects.requireNonNullElse(request.timeout(), SERVER_DEFAULT_RUN_TIMEOUT);
        return transport.json(post("/run", request.withDetached(false).toJson(),
                transport.requestTimeout().plus(runTimeout)), RUN_STATE);
    }

    /**
     * {@code POST /run} detached: returns at once with the run's id and status ({@code running} or {@code queued});
     * the other fields are not known yet. Then {@link #await}, {@link #logs} or {@link #get}.
     */
    public RunState submit(RunRequest request) {
        JsonNode accepted = transport.json(post("/run", request.withDetached(true).toJson(),
                transport.requestTimeout()), JSON_NODE);
        if (!accepted.path("id").isTextual()) {
            throw new LightRunException(LightRunException.INVALID_RESPONSE, "POST /run answered without a run id: "
                    + accepted, null);
        }
        ObjectNode state = Json.MAPPER.createObjectNode()
                .put("id", accepted.path("id").asText())
                .put("status", accepted.path("status").asText("running"))
                .put("image", request.image())
                .put("detached", true);
        return Json.MAPPER.convertValue(state, RunState.class);
    }

    /**
     * Waits until the run has ended and returns its final state. Follows the run's log (a live connection that ends
     * when the run does, so the answer comes at once), and while the run is queued polls with a backoff from 100 ms
     * to 2 s.
     *
     * @param max how long to wait at most
     * @throws LightRunException {@code timeout} when it has not ended within {@code max}; {@code not_found}; ...
     */
    public RunState await(String id, Duration max) {
        return new RunWaiter(transport, this::get).waitFor(id, max, null);
    }

    /**
     * Like {@link #await}, passing each line the run writes to {@code sink} as it arrives: in order, each line once
     * (a follow that has to reconnect, e.g. after the run waited in the queue, skips what was passed already), on a
     * thread of the client's, never two calls at once. An exception thrown by {@code sink} ends the follow and is
     * thrown here.
     *
     * @param max how long to wait at most
     * @throws LightRunException {@code timeout} when it has not ended within {@code max}; {@code not_found}; ...
     */
    public RunState follow(String id, Duration max, Consumer<LogLine> sink) {
        return new RunWaiter(transport, this::get).waitFor(id, max,
                Objects.requireNonNull(sink, "sink was not specified"));
    }

    /** {@code GET /runs/{id}}: the run's current state. */
    public RunState get(String id) {
        return transport.json(transport.request(runPath(id)).GET().build(), RUN_STATE);
    }

    /**
     * {@code GET /runs}: one page of runs, newest first.
     *
     * @param status only runs with this status (null: all)
     * @param limit  1..1000 runs per page; 0 for the server's default (100)
     * @param cursor {@link RunPage#nextCursor()} of the page before; null for the first page
     */
    public RunPage list(RunStatus status, int limit, String cursor) {
        List<String> query = new ArrayList<>();
        if (status != null) {
            query.add("status=" + status.json());
        }
        if (limit > 0) {
            query.add("limit=" + limit);
        }
        if (cursor != null) {
            query.add("cursor=" + Transport.segment(cursor));
        }
        String path = "/runs" + (query.isEmpty() ? "" : "?" + String.join("&", query));
        HttpRequest request = transport.request(path).GET().build();
        HttpResponse<InputStream> response = transport.send(request);
        List<RunState> runs;
        try (InputStream body = response.body()) {
            runs = Json.MAPPER.readValue(body, RUN_LIST);
        } catch (IOException e) {
            throw new LightRunException(LightRunException.INVALID_RESPONSE, "GET /runs answered a body that is "
                    + "not a list of runs: " + e.getMessage(), e);
        }
        return new RunPage(runs, response.headers().firstValue("X-Next-Cursor").orElse(null));
    }

    // ---- logs and artifacts --------------------------------------------------------------------------------------

    /**
     * {@code GET /runs/{id}/logs?format=jsonl}: the run's stdout and stderr lines, in order, read as they arrive.
     * With {@code follow}, the stream goes on until the run ends (its deadline: 75 min, past the server's own 70 min
     * limit on a follow). Close the stream (try-with-resources) to close the connection early; not closing it
     * leaks a connection.
     *
     * @throws LightRunException at once for an unknown run; while iterating, {@code unreachable} if the connection
     *                           breaks
     */
    public Stream<LogLine> logs(String id, boolean follow) {
        // A follow's headers come with the first line, which a quiet run may write late: no short deadline here.
        HttpRequest request = transport.request(logsPath(id, follow),
                follow ? FOLLOW_TIMEOUT : transport.requestTimeout()).GET().build();
        HttpResponse<InputStream> response = transport.send(request);
        return LogLines.stream(response.body(), transport, request);
    }

    /** {@code GET /runs/{id}/artifacts}: the run's extracted files and folders. */
    public List<RunState.Artifact> artifacts(String id) {
        return transport.json(transport.request(runPath(id) + "/artifacts").GET().build(), ARTIFACT_LIST);
    }

    /** {@link #download(String, String, Path, DownloadProgress)} without progress. */
    public Path download(String id, String path, Path targetDir) {
        return download(id, path, targetDir, DownloadProgress.NONE);
    }

    /**
     * Downloads the artifact {@code path} of a run (a file, or a folder with every file in it) to
     * {@code targetDir/path}, streamed to disk (never whole in memory) through a temporary file moved into place when
     * complete; an existing file is replaced.
     *
     * @return the file or folder written
     * @throws LightRunException        {@code not_found} for an unknown run or path; {@code unreachable} if the
     *                                  transfer breaks (no partial file is left)
     * @throws java.io.UncheckedIOException the local disk refused the write
     * @throws IllegalArgumentException {@code path} would leave {@code targetDir}
     */
    public Path download(String id, String path, Path targetDir, DownloadProgress progress) {
        Objects.requireNonNull(path, "path was not specified");
        return new ArtifactDownload(transport, id, targetDir, Objects.requireNonNullElse(progress,
                DownloadProgress.NONE)).download(path);
    }

    // ---- control -------------------------------------------------------------------------------------------------

    /** {@code POST /runs/{id}/cancel}: the run ends {@code cancelled} (a queued one never starts). */
    public void cancel(String id) {
        transport.discard(post(runPath(id) + "/cancel", null, transport.requestTimeout()));
    }

    /**
     * {@code POST /runs/{id}/stop}: sends {@code signal}, then kills after {@code grace}; the run ends
     * {@code cancelled} with error code {@code STOPPED}.
     *
     * @param signal a signal name like {@code SIGTERM} (null: the server's default, SIGTERM)
     * @param grace  how long before the kill, at most 5 min (null: the server's default, 10 s)
     */
    public void stop(String id, String signal, Duration grace) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (signal != null) {
            body.put("signal", signal);
        }
        if (grace != null) {
            body.put("grace", grace.toMillis());
        }
        transport.discard(post(runPath(id) + "/stop", body, transport.requestTimeout()));
    }

    /** {@code POST /runs/{id}/pause}: freezes every process of the run (its timeout clock keeps running). */
    public void pause(String id) {
        transport.discard(post(runPath(id) + "/pause", null, transport.requestTimeout()));
    }

    /** {@code POST /runs/{id}/resume}: thaws a paused run ({@code conflict} if it is not paused). */
    public void resume(String id) {
        transport.discard(post(runPath(id) + "/resume", null, transport.requestTimeout()));
    }

    /** {@code DELETE /runs/{id}}: forgets a finished run, its logs and artifacts ({@code conflict} while running). */
    public void delete(String id) {
        transport.discard(transport.request(runPath(id)).DELETE().build());
    }

    // ---- replicas ------------------------------------------------------------------------------------------------

    /**
     * {@code GET /replicas} (admin): the servers sharing the answering server's PostgreSQL store, alive or not. A
     * server that runs alone answers no replicas ({@link ReplicaList#isReplicated()} false).
     */
    public ReplicaList replicas() {
        return transport.json(transport.request("/replicas").GET().build(), REPLICA_LIST);
    }

    /**
     * {@code DELETE /replicas/{name}} (admin): declares a silent replica gone for good. The runs it was executing end
     * {@code failed} with error code {@code REPLICA_LOST}, those it had claimed but not started go back to the queue,
     * and its pending callbacks are delivered by the answering replica.
     *
     * @throws LightRunException {@code not_found} for an unknown replica (or a server that runs alone);
     *                           {@code conflict} for a replica still alive, or the answering one itself
     */
    public ForgottenReplica forgetReplica(String name) {
        String path = "/replicas/" + Transport.segment(Objects.requireNonNull(name, "name was not specified"));
        return transport.json(transport.request(path).DELETE().build(), FORGOTTEN_REPLICA);
    }

    /**
     * Releases the connections. Requests still in flight (an open log stream, a sync run) get a second to finish,
     * then are aborted. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        HttpClient http = transport.http();
        http.shutdown();
        try {
            if (!http.awaitTermination(CLOSE_GRACE)) {
                http.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            http.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "LightRunClient[" + url + "]";
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private HttpRequest post(String path, JsonNode body, Duration timeout) {
        HttpRequest.Builder builder = transport.request(path, timeout).header("Content-Type", "application/json");
        if (body == null) {
            return builder.POST(HttpRequest.BodyPublishers.noBody()).build();
        }
        try {
            return builder.POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the request body: " + e.getMessage(), e);
        }
    }

    private static String runPath(String id) {
        return "/runs/" + Transport.segment(Objects.requireNonNull(id, "id was not specified"));
    }

    static String logsPath(String id, boolean follow) {
        return runPath(id) + "/logs?format=jsonl" + (follow ? "&follow=true" : "");
    }

    /**
     * Settings of a client; {@link #build()} checks them. Defaults: {@link #DEFAULT_URL}, no token,
     * {@link #DEFAULT_CONNECT_TIMEOUT}, {@link #DEFAULT_REQUEST_TIMEOUT}. Not thread-safe.
     */
    public static final class Builder {
        private URI url = DEFAULT_URL;
        private String token;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

        private Builder() {
        }

        /** The server's base URL, {@code http://host:port} (a path prefix is kept, for a server behind a proxy). */
        public Builder url(URI value) {
            this.url = value;
            return this;
        }

        /** The server's bearer token; null (the default) for a server without one. */
        public Builder token(String value) {
            this.token = value == null || value.isBlank() ? null : value;
            return this;
        }

        /** How long to wait for a TCP connection. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /**
         * How long to wait for an answer's headers. A sync {@link #run} waits this plus the run's timeout; a log
         * follow waits up to 75 min; a download's body streams without a deadline once it has begun.
         */
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the setting that is missing or invalid */
        public LightRunClient build() {
            if (url == null || url.getScheme() == null || url.getHost() == null
                    || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
                throw new IllegalArgumentException("url must be an http or https URL with a host, like "
                        + DEFAULT_URL + "; got " + url);
            }
            requirePositive(connectTimeout, "connectTimeout");
            requirePositive(requestTimeout, "requestTimeout");
            HttpClient http = HttpClient.newBuilder()
                    // The server speaks HTTP/1.1 on cleartext: no h2c upgrade attempt on each request.
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
            return new LightRunClient(new Transport(http, url, token, requestTimeout), url);
        }

        private static void requirePositive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration; got " + value);
            }
        }

        @Override
        public String toString() {
            return "LightRunClient.Builder[url=" + url + ", token=" + (token == null ? null : "<masked>")
                    + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + "]";
        }
    }
}
