package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM: new runs are refused, a sync run in flight is cancelled after the grace period and its client told so,
 * the process exits promptly, and a detached run keeps running and is finished by the next start.
 */
class GracefulShutdownIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    /**
     * One SIGTERM with both kinds of run in flight (one restart less than two scenarios): the sync run is cancelled
     * after the grace and its client gets that state, the detached run is left running and finished after the restart.
     */
    @Test
    void sigtermCancelsTheSyncRunAnswersItsClientAndLeavesTheDetachedRunRunning() throws Exception {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root, "--shutdown-grace-ms", "2000");
        ServerProcess first = servers.start(setup);
        String detached = first.api().submitDetached(script(RestartRecoveryIT.GATED, "extract", List.of("/app/o"),
                "timeout", 120_000));
        CompletableFuture<HttpResponse<String>> client = first.api().postAsync("/run",
                script("sleep 30", "timeout", 60_000), Duration.ofSeconds(60));
        String sync = await("the sync run is listed").atMost(Duration.ofSeconds(20))
                .until(() -> first.api().runningIds().stream().filter(id -> !id.equals(detached)).toList(),
                        ids -> ids.size() == 1).getFirst();
        await("both containers running").atMost(Duration.ofSeconds(30)).until(() ->
                DockerCli.isRunning(DockerCli.containerOf(sync)) && DockerCli.isRunning(DockerCli.containerOf(detached)));

        long signalled = System.nanoTime();
        first.sigterm();

        await("the server is draining").atMost(Duration.ofSeconds(5))
                .until(() -> first.log().contains("shutdown - waiting up to"));
        HttpResponse<String> refused = first.api().post("/run", script("true", "detached", true));
        assertThat(refused.statusCode()).as("a new run during the shutdown: %s", refused.body()).isEqualTo(503);
        assertThat(Api.json(refused).path("error").asText()).isEqualTo("unavailable");

        HttpResponse<String> answer = client.get(15, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as("the sync client's answer: %s", answer.body()).isEqualTo(200);
        JsonNode told = Api.json(answer);
        assertThat(told.path("id").asText()).isEqualTo(sync);
        assertThat(told.path("status").asText()).isEqualTo("cancelled");

        int exitCode = first.awaitExit(Duration.ofSeconds(15));
        long exitedMs = (System.nanoTime() - signalled) / 1_000_000;
        System.out.printf("[SIGTERM] sync client got HTTP %d status %s; process exited %d ms after the signal (code %d)%n",
                answer.statusCode(), told.path("status").asText(), exitedMs, exitCode);
        assertThat(exitedMs).as("SIGTERM to exit, with a grace of 2 s").isLessThan(10_000);
        assertThat(DockerCli.containersOfRun(sync)).isEmpty();
        assertThat(DockerCli.isRunning(DockerCli.containerOf(detached))).as("the detached run's container").isTrue();

        ServerProcess second = servers.start(setup);
        JsonNode recorded = second.api().run(sync);
        assertThat(recorded.path("status").asText()).isEqualTo("cancelled");
        assertThat(recorded.path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(DockerCli.containersOfRun(sync)).isEmpty();

        assertThat(second.api().runningIds()).containsExactly(detached);
        RestartRecoveryIT.openGate(detached);
        JsonNode state = second.api().awaitFinished(detached, Duration.ofSeconds(30));
        assertThat(state.path("status").asText()).isEqualTo("succeeded");
        assertThat(second.api().logs(detached, "")).isEqualTo("start\nend\n");
        assertThat(second.api().get("/runs/" + detached + "/artifacts/o/f").body()).isEqualTo("r\n");
        assertThat(DockerCli.containersOfRun(detached)).isEmpty();
    }
}
