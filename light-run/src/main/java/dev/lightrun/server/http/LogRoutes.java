package dev.lightrun.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.logs.LogReader;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.runs.RunService;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * GET /runs/{id}/logs: the run's captured output as text (default) or JSON lines ({@code format=jsonl}, records
 * {@code {t, stream, line}}), one stream or both ({@code stream=stdout|stderr}), and with {@code follow=true} live until
 * the run ends (chunked). Streams from disk; the header {@code X-Light-Run-Log-Dropped} says how many bytes of
 * earlier output the cap dropped.
 */
final class LogRoutes {
    /** Longer than any run may last (its timeout is at most an hour). */
    private static final Duration FOLLOW_LIMIT = Duration.ofMinutes(70);

    private static final Duration FINAL_STATE_WAIT = Duration.ofSeconds(10);

    private final RunService runs;
    private final RunLogs logs;

    LogRoutes(RunService runs, RunLogs logs) {
        this.runs = runs;
        this.logs = logs;
    }

    void get(Context ctx) throws IOException, InterruptedException {
        RunState run = RunRoutes.visibleRun(ctx, runs);
        String id = run.id();
        String stream = ctx.queryParam("stream");
        if (stream != null && !stream.equals("stdout") && !stream.equals("stderr")) {
            throw ApiException.badRequest("stream", "must be stdout or stderr");
        }
        String format = ctx.queryParamAsClass("format", String.class).getOrDefault("text");
        if (!format.equals("text") && !format.equals("jsonl")) {
            throw ApiException.badRequest("format", "must be text or jsonl");
        }
        String followParam = ctx.queryParamAsClass("follow", String.class).getOrDefault("false");
        if (!followParam.equals("true") && !followParam.equals("false")) {
            throw ApiException.badRequest("follow", "must be true or false");
        }
        boolean follow = followParam.equals("true");
        boolean jsonl = format.equals("jsonl");
        if (!ReplicaProxy.forwarded(ctx)) {
            Optional<String> executing = runs.replicas().executingElsewhere(run);
            if (executing.isPresent()) {
                // Its live log is written on that replica's disk; once it ends, its log is in the archive.
                ReplicaProxy.relay(ctx, run.replica(), executing.get());
                return;
            }
        }
        LogReader reader = logs.reader(id, FOLLOW_LIMIT);
        ctx.header("X-Light-Run-Log-Dropped", Long.toString(reader.droppedBytes()));
        ctx.contentType(jsonl ? "application/x-ndjson" : "text/plain; charset=utf-8");
        OutputStream out = ctx.res().getOutputStream();
        try {
            boolean complete = reader.forEachLine(follow, record -> write(out, record, stream, jsonl, follow));
            if (follow && complete) {
                // The log closes a moment before the run's final state is stored: end the follow after that, so a
                // client that reads the run next finds it ended.
                runs.awaitRecorded(id, FINAL_STATE_WAIT);
            }
            out.flush();
        } catch (UncheckedIOException clientGone) {
            // The client closed the connection while following: nothing to answer.
        }
    }

    private static void write(OutputStream out, String record, String stream, boolean jsonl, boolean flush) {
        try {
            JsonNode node = Json.MAPPER.readTree(record);
            if (stream != null && !stream.equals(node.path("stream").asText())) {
                return;
            }
            out.write((jsonl ? record : node.path("line").asText()).getBytes(StandardCharsets.UTF_8));
            out.write('\n');
            if (flush) {
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
