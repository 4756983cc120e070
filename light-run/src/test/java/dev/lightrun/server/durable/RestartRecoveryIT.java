package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.CallbackReceiver;
import dev.lightrun.server.callbacks.CallbackSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kill -9} of the server while runs are in flight: the next start on the same data folder finishes every run
 * truthfully (re-attached or finished from its exit code, or {@code LOST} when its container is gone), with its logs,
 * artifacts and exactly one callback, and leaves no container behind.
 */
class RestartRecoveryIT {
    /** Waits for a file the test creates with {@code docker exec}: the run is still going whenever the test wants. */
    static final String GATED = "echo start; while [ ! -f go ]; do sleep 0.1; done; echo end; mkdir -p o; echo r > o/f";
    private static final String SECRET = "a-callback-secret-of-32-chars!!";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    static void openGate(String runId) {
        DockerCli.run("exec", DockerCli.containerOf(runId), "touch", "/app/go");
    }

    @Test
    void killNineMidRunThenRestartFinishesSyncAndDetachedRunsTruthfully() {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root);
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            ServerProcess first = servers.start(setup);
            String detached = first.api().submitDetached(script(GATED, "extract", List.of("/app/o"),
                    "callbackUrl", receiver.url("/hook"), "callbackSecret", SECRET, "timeout", 120_000));
            CompletableFuture<HttpResponse<String>> syncClient = first.api().postAsync("/run",
                    script("sleep 3; echo done", "timeout", 60_000), Duration.ofSeconds(60));
            String sync = await("the sync run is listed").atMost(Duration.ofSeconds(20))
                    .until(() -> first.api().runningIds().stream().filter(id -> !id.equals(detached)).toList(),
                            ids -> ids.size() == 1).getFirst();
            await("both containers running").atMost(Duration.ofSeconds(30)).until(() ->
                    DockerCli.isRunning(DockerCli.containerOf(detached)) && DockerCli.isRunning(DockerCli.containerOf(sync)));
            await("the detached run's first line captured").atMost(Duration.ofSeconds(10))
                    .until(() -> first.api().logs(detached, "").contains("start"));

            first.kill9();

            assertThat(syncClient).as("the sync client loses its connection with the server")
                    .failsWithin(Duration.ofSeconds(10));
            // The sync run's container ends on its own while the server is down; the detached one waits for its gate.
            await("the sync run's container exited").atMost(Duration.ofSeconds(20))
                    .until(() -> !DockerCli.isRunning(DockerCli.containerOf(sync)));
            assertThat(DockerCli.isRunning(DockerCli.containerOf(detached))).isTrue();

            ServerProcess second = servers.start(setup);

            // Exited while the server was down: finished from its exit code, with its output.
            JsonNode syncState = second.api().awaitFinished(sync, Duration.ofSeconds(20));
            assertThat(syncState.path("status").asText()).isEqualTo("succeeded");
            assertThat(syncState.path("exitCode").asInt()).isZero();
            assertThat(syncState.path("logs").path("stdout").asText()).isEqualTo("done\n");
            assertThat(second.api().logs(sync, "")).isEqualTo("done\n");

            // Still running: re-attached, and it survived the start-up sweep.
            assertThat(second.api().status(detached)).isEqualTo("running");
            assertThat(DockerCli.isRunning(DockerCli.containerOf(detached))).isTrue();
            assertThat(receiver.received()).isEmpty();
            openGate(detached);
            JsonNode detachedState = second.api().awaitFinished(detached, Duration.ofSeconds(30));
            assertThat(detachedState.path("status").asText()).isEqualTo("succeeded");
            assertThat(detachedState.path("exitCode").asInt()).isZero();
            assertThat(detachedState.path("logs").path("stdout").asText()).isEqualTo("start\nend\n");
            assertThat(second.api().logs(detached, "")).as("the whole output, each line once").isEqualTo("start\nend\n");
            assertThat(detachedState.path("artifacts").findValuesAsText("path")).contains("o", "o/f");
            HttpResponse<String> artifact = second.api().get("/runs/" + detached + "/artifacts/o/f");
            assertThat(artifact.statusCode()).isEqualTo(200);
            assertThat(artifact.body()).isEqualTo("r\n");

            await("the callback").atMost(Duration.ofSeconds(15)).until(() -> !receiver.received().isEmpty());
            await("no second delivery").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> receiver.received().size() == 1);
            CallbackReceiver.Received delivery = receiver.received().getFirst();
            JsonNode delivered = Api.JSON.readTree(new String(delivery.body(), java.nio.charset.StandardCharsets.UTF_8));
            assertThat(delivered.path("id").asText()).isEqualTo(detached);
            assertThat(delivered.path("status").asText()).isEqualTo("succeeded");
            assertThat(delivery.header(CallbackSender.SIGNATURE_HEADER))
                    .isEqualTo("sha256=" + CallbackSender.hmacSha256Hex(SECRET, delivery.body()));

            List<String> left = new ArrayList<>(DockerCli.containersOfRun(detached));
            left.addAll(DockerCli.containersOfRun(sync));
            assertThat(left).as("containers of the two runs left in Docker").isEmpty();

            long recovered = List.of(syncState, detachedState).stream()
                    .filter(s -> s.path("status").asText().equals("succeeded")).count();
            System.out.printf("[kill -9 recovery] runs started: 2 (1 sync, 1 detached); recovered: %d succeeded"
                            + " (sync finished from its exit code, detached re-attached live); callbacks delivered: %d;"
                            + " containers left: %d%n", recovered, receiver.received().size(), left.size());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void runWhoseContainerWasRemovedWhileTheServerWasDownEndsLost() {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root);
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            ServerProcess first = servers.start(setup);
            String id = first.api().submitDetached(script(GATED, "callbackUrl", receiver.url("/hook"), "timeout", 120_000));
            await("container running").atMost(Duration.ofSeconds(30))
                    .until(() -> DockerCli.isRunning(DockerCli.containerOf(id)));
            first.kill9();
            DockerCli.run("rm", "-f", DockerCli.containerOf(id));

            ServerProcess second = servers.start(setup);

            JsonNode state = second.api().run(id);
            assertThat(state.path("status").asText()).isEqualTo("failed");
            assertThat(state.path("errorCode").asText()).isEqualTo("LOST");
            assertThat(state.path("error").asText()).contains("container was gone").contains("restarted");
            assertThat(state.path("finishedAt").isNull()).isFalse();
            assertThat(second.api().runningIds()).doesNotContain(id);
            await("the callback tells the loss").atMost(Duration.ofSeconds(15))
                    .until(() -> !deliveriesFor(receiver, id).isEmpty());
            await("no second delivery").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> deliveriesFor(receiver, id).size() == 1);
            assertThat(new String(deliveriesFor(receiver, id).getFirst().body(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"errorCode\":\"LOST\"");
            assertThat(DockerCli.containersOfRun(id)).isEmpty();
        }
    }

    /** Deliveries whose body is the final state of this run. */
    private static List<CallbackReceiver.Received> deliveriesFor(CallbackReceiver receiver, String runId) {
        return receiver.received().stream()
                .filter(d -> new String(d.body(), java.nio.charset.StandardCharsets.UTF_8).contains("\"id\":\"" + runId + "\""))
                .toList();
    }
}
