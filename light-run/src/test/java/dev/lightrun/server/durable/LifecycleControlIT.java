package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static dev.lightrun.server.durable.Api.inline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** POST /runs/{id}/stop, /pause, /resume on real containers, and their 404 and 409 answers. */
class LifecycleControlIT {
    private static final String UNKNOWN = "01a21bf4-0000-7000-8000-000000000000";
    private static final String TICKING = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path root;
    private static ServerProcess server;

    @BeforeAll
    static void startServer() {
        server = ServerProcess.Setup.in(root).start();
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

    private static HttpResponse<String> control(String id, String action, Object body) {
        return api().post("/runs/" + id + "/" + action, body);
    }

    private static String startAndAwaitReady(String entrypoint) {
        String id = api().submitDetached(inline(entrypoint, "timeout", 60_000));
        await("the workload is ready").atMost(Duration.ofSeconds(30)).until(() -> api().logs(id, "").contains("ready"));
        return id;
    }

    @Test
    void stopSendsTheSignalAndTheWorkloadCleansUp() {
        String id = startAndAwaitReady("trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done");

        HttpResponse<String> stopped = control(id, "stop", Map.of("signal", "SIGTERM", "grace", 5000));
        assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(204);

        JsonNode state = api().awaitFinished(id, Duration.ofSeconds(20));
        assertThat(state.path("status").asText()).isEqualTo("cancelled");
        assertThat(state.path("errorCode").asText()).isEqualTo("STOPPED");
        assertThat(state.path("error").asText()).contains("SIGTERM");
        assertThat(state.path("exitCode").asInt()).as("the trap's own exit").isZero();
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("ready\ngot-term\n");
        assertThat(api().logs(id, "")).isEqualTo("ready\ngot-term\n");
        assertThat(DockerCli.containersOfRun(id)).isEmpty();
        assertThat(control(id, "stop", Map.of()).statusCode()).as("stop of a finished run").isEqualTo(404);
    }

    @Test
    void stopOfAWorkloadIgnoringTheSignalKillsItAfterTheGrace() {
        String id = startAndAwaitReady("trap '' TERM; echo ready; while true; do sleep 0.1; done");

        java.time.Instant sent = java.time.Instant.now();
        assertThat(control(id, "stop", Map.of("grace", 1000)).statusCode()).isEqualTo(204);
        JsonNode state = api().awaitFinished(id, Duration.ofSeconds(10));
        // The server and the test share the host's clock: finishedAt is when the container exited.
        long endedMs = Duration.between(sent, java.time.Instant.parse(state.path("finishedAt").asText())).toMillis();
        long observedMs = Duration.between(sent, java.time.Instant.now()).toMillis();

        assertThat(state.path("status").asText()).isEqualTo("cancelled");
        assertThat(state.path("errorCode").asText()).isEqualTo("STOPPED");
        assertThat(state.path("exitCode").asInt()).as("killed").isEqualTo(137);
        System.out.printf("[stop] SIGTERM ignored, grace 1000 ms: container ended %d ms after the stop, state final"
                + " after %d ms%n", endedMs, observedMs);
        assertThat(endedMs).as("ignored SIGTERM: the kill comes after the grace").isBetween(900L, 3_000L);
    }

    @Test
    void pauseFreezesTheOutputAndResumeContinuesIt() {
        String id = api().submitDetached(inline(TICKING, "timeout", 60_000));
        await("ticking").atMost(Duration.ofSeconds(30)).until(() -> ticks(id).size() >= 3);

        assertThat(control(id, "pause", "").statusCode()).isEqualTo(204);
        assertThat(api().status(id)).isEqualTo("running");
        AtomicInteger last = new AtomicInteger(-1);
        // Whatever was in flight at the freeze lands at once; then nothing for a whole second.
        await("no output while paused").during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(4))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> last.getAndSet(ticks(id).size()) == ticks(id).size());
        int whilePaused = ticks(id).size();
        assertThat(control(id, "pause", "").statusCode()).as("pause of a paused run").isEqualTo(409);

        assertThat(control(id, "resume", "").statusCode()).isEqualTo(204);
        await("ticking again").atMost(Duration.ofSeconds(10)).until(() -> ticks(id).size() >= whilePaused + 3);
        assertThat(ticks(id)).as("the same process went on: no restart, no gap")
                .startsWith(IntStream.rangeClosed(1, whilePaused + 3).boxed().toArray(Integer[]::new));
        HttpResponse<String> again = control(id, "resume", "");
        assertThat(again.statusCode()).as("resume of a running run: %s", again.body()).isEqualTo(409);
        assertThat(Api.json(again).path("error").asText()).isEqualTo("conflict");

        assertThat(api().post("/runs/" + id + "/cancel", "").statusCode()).isEqualTo(204);
        assertThat(api().awaitFinished(id, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("cancelled");
        for (String action : List.of("pause", "resume", "stop")) {
            assertThat(control(id, action, "").statusCode()).as("%s of a finished run", action).isEqualTo(404);
        }
        assertThat(DockerCli.containersOfRun(id)).isEmpty();
    }

    @Test
    void controlOfAnUnknownRunIs404AndBadStopBodiesAre400() {
        for (String action : List.of("pause", "resume", "stop")) {
            HttpResponse<String> response = control(UNKNOWN, action, "");
            assertThat(response.statusCode()).as("%s of an unknown run: %s", action, response.body()).isEqualTo(404);
            assertThat(Api.json(response).path("error").asText()).isEqualTo("not_found");
        }
        String id = api().submitDetached(inline(TICKING, "timeout", 60_000));
        for (Object body : List.of(Map.of("grace", 300_001), Map.of("grace", -1), Map.of("signal", "TERM NOW"),
                Map.of("signal", "SIGTERM", "later", true))) {
            HttpResponse<String> response = control(id, "stop", body);
            assertThat(response.statusCode()).as("stop %s: %s", body, response.body()).isEqualTo(400);
        }
        assertThat(api().status(id)).as("bad stops leave the run alone").isEqualTo("running");
        assertThat(api().post("/runs/" + id + "/cancel", "").statusCode()).isEqualTo(204);
        assertThat(api().awaitFinished(id, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("cancelled");
    }

    /** The tick numbers printed so far, in order. */
    private static List<Integer> ticks(String id) {
        return api().logs(id, "stream=stdout").lines().filter(l -> l.startsWith("tick "))
                .map(l -> Integer.parseInt(l.substring(5))).toList();
    }
}
