package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** GET /runs/{id}/logs: live with follow, complete after the end, capped (end kept), per stream, as JSON lines. */
class LogsIT {
    private static final long CAP = 8192;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path root;
    private static ServerProcess server;

    @BeforeAll
    static void startServer() {
        server = ServerProcess.Setup.in(root, "--max-log-bytes", Long.toString(CAP)).start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server.setup().removeLeftoverContainers();
        }
    }

    private static Api api() {
        return server.api();
    }

    @Test
    void followStreamsLinesWhileTheRunIsGoingAndEndsWithIt() throws Exception {
        String id = api().submitDetached(script("echo first; while [ ! -f go ]; do sleep 0.1; done; echo last",
                "timeout", 60_000));
        List<String> received = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> follower = CompletableFuture.supplyAsync(() -> {
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<Stream<String>> response = client.send(
                        HttpRequest.newBuilder(api().uri("/runs/" + id + "/logs?follow=true")).GET().build(),
                        HttpResponse.BodyHandlers.ofLines());
                try (Stream<String> lines = response.body()) {
                    lines.forEach(received::add);
                }
                return response.statusCode();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });

        await("the first line, live").atMost(Duration.ofSeconds(30)).until(() -> received.contains("first"));
        assertThat(api().status(id)).as("received before the run ended").isEqualTo("running");
        assertThat(follower).as("still following").isNotDone();

        RestartRecoveryIT.openGate(id);
        assertThat(follower.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(received).containsExactly("first", "last");
        assertThat(api().status(id)).isEqualTo("succeeded");

        // After the end: the whole log at once, with or without follow.
        assertThat(api().logs(id, "")).isEqualTo("first\nlast\n");
        assertThat(api().logs(id, "follow=true")).isEqualTo("first\nlast\n");
    }

    @Test
    void pastTheCapTheEndIsKeptAndTheDropIsCounted() throws IOException {
        JsonNode state = api().runSync(script("seq 1 20000"));
        String id = state.path("id").asText();
        assertThat(state.path("status").asText()).isEqualTo("succeeded");

        HttpResponse<String> response = api().get("/runs/" + id + "/logs");
        assertThat(response.statusCode()).isEqualTo(200);
        long dropped = Long.parseLong(response.headers().firstValue("X-Light-Run-Log-Dropped").orElseThrow());
        assertThat(dropped).isPositive();
        List<Integer> numbers = response.body().lines().map(Integer::parseInt).toList();
        assertThat(numbers).isNotEmpty();
        assertThat(numbers.getLast()).isEqualTo(20000);
        assertThat(numbers.getFirst()).as("the beginning was dropped").isGreaterThan(1);
        assertThat(numbers).as("what is kept is the unbroken end")
                .isEqualTo(java.util.stream.IntStream.rangeClosed(numbers.getFirst(), 20000).boxed().toList());

        long stored = 0;
        try (Stream<Path> files = Files.list(server.setup().dataDir().resolve("logs"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(id + ".")
                    && f.getFileName().toString().endsWith(".jsonl")).toList()) {
                stored += Files.size(file);
            }
        }
        assertThat(stored).as("log bytes on disk").isPositive().isLessThanOrEqualTo(CAP);
        System.out.printf("[logs cap] seq 1 20000 with a cap of %d: %d bytes kept on disk, %d dropped, lines %d..20000%n",
                CAP, stored, dropped, numbers.getFirst());
        // The run state keeps its own short tail.
        assertThat(state.path("logs").path("stdout").asText()).endsWith("19999\n20000\n");
    }

    @Test
    void streamsAreSeparatedAndJsonLinesCarryTimeStreamAndLine() throws IOException {
        JsonNode state = api().runSync(script("echo out1; echo err1 >&2; echo out2; echo err2 >&2"));
        String id = state.path("id").asText();

        assertThat(api().logs(id, "stream=stderr")).isEqualTo("err1\nerr2\n");
        assertThat(api().logs(id, "stream=stdout")).isEqualTo("out1\nout2\n");
        assertThat(api().logs(id, "").lines().toList()).containsExactlyInAnyOrder("out1", "err1", "out2", "err2");
        assertThat(api().get("/runs/" + id + "/logs").headers().firstValue("X-Light-Run-Log-Dropped")).hasValue("0");

        HttpResponse<String> jsonl = api().get("/runs/" + id + "/logs?format=jsonl");
        assertThat(jsonl.statusCode()).isEqualTo(200);
        assertThat(jsonl.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/x-ndjson");
        List<JsonNode> records = new ArrayList<>();
        for (String line : jsonl.body().lines().toList()) {
            records.add(Api.JSON.readTree(line));
        }
        assertThat(records).hasSize(4);
        for (JsonNode record : records) {
            assertThat(record.properties()).extracting(java.util.Map.Entry::getKey)
                    .containsExactlyInAnyOrder("t", "stream", "line");
            assertThat(Instant.parse(record.path("t").asText())).isBetween(Instant.now().minusSeconds(120), Instant.now());
            String expected = record.path("stream").asText().equals("stdout") ? "out" : "err";
            assertThat(record.path("stream").asText()).isIn("stdout", "stderr");
            assertThat(record.path("line").asText()).startsWith(expected);
        }
        assertThat(api().logs(id, "format=jsonl&stream=stderr").lines().map(l -> {
            try {
                return Api.JSON.readTree(l).path("line").asText();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList()).containsExactly("err1", "err2");
    }

    @Test
    void badParametersAre400AndAnUnknownRunIs404() {
        String id = api().runSync(script("echo x")).path("id").asText();
        for (String query : List.of("stream=both", "format=xml", "follow=yes")) {
            HttpResponse<String> response = api().get("/runs/" + id + "/logs?" + query);
            assertThat(response.statusCode()).as("%s: %s", query, response.body()).isEqualTo(400);
            assertThat(Api.json(response).path("error").asText()).isEqualTo("bad_request");
        }
        HttpResponse<String> unknown = api().get("/runs/01a21bf4-0000-7000-8000-000000000000/logs");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Api.json(unknown).path("error").asText()).isEqualTo("not_found");
    }
}
