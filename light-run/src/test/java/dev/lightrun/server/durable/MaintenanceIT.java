package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The maintenance sweep: at start-up it removes this instance's containers that no run knows and idle per-run
 * networks, never a tracked run's container nor another instance's; the periodic sweep leaves a running run alone.
 */
class MaintenanceIT {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();
    private final List<String> planted = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (String object : planted) {
            DockerCli.tryRun("rm", "-f", object);
            DockerCli.tryRun("network", "rm", object);
        }
    }

    private String plant(String... dockerArgs) {
        String id = DockerCli.run(dockerArgs);
        planted.add(id);
        return id;
    }

    private static String[] labels(String instance, String... command) {
        List<String> args = new ArrayList<>(List.of("--label", "dev.lightrun.managed=true",
                "--label", "dev.lightrun.kind=run",
                "--label", "dev.lightrun.instance=" + instance,
                "--label", "dev.lightrun.run-id=orphan-" + UUID.randomUUID(),
                Api.BUSYBOX));
        args.addAll(List.of(command));
        return args.toArray(String[]::new);
    }

    private static String[] concat(String[] head, String[] tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    @Test
    void startUpSweepRemovesOrphansOfItsInstanceButNeitherATrackedRunNorAnotherInstance() {
        ServerProcess.Setup setup = ServerProcess.Setup.in(root);
        ServerProcess first = servers.start(setup);
        String tracked = first.api().submitDetached(script(RestartRecoveryIT.GATED, "timeout", 120_000));
        await("container running").atMost(Duration.ofSeconds(30))
                .until(() -> DockerCli.isRunning(DockerCli.containerOf(tracked)));
        first.kill9();

        String instance = setup.instance();
        String createdOrphan = plant(concat(new String[] {"create"}, labels(instance, "sleep", "60")));
        String runningOrphan = plant(concat(new String[] {"run", "-d"}, labels(instance, "sleep", "60")));
        String otherInstance = plant(concat(new String[] {"create"},
                labels("lrt-other-" + UUID.randomUUID().toString().substring(0, 8), "sleep", "60")));
        String orphanNetwork = "orphan-net-" + UUID.randomUUID().toString().substring(0, 8);
        planted.add(orphanNetwork);
        DockerCli.run("network", "create", "--label", "dev.lightrun.managed=true", "--label", "dev.lightrun.kind=run",
                orphanNetwork);
        assertThat(DockerCli.isRunning(runningOrphan)).isTrue();

        ServerProcess second = servers.start(setup.withFlags("--sweep-interval-ms", "500"));

        // The start-up sweep ran before the server answered its first request.
        assertThat(DockerCli.exists("container", createdOrphan)).as("created orphan of this instance").isFalse();
        assertThat(DockerCli.exists("container", runningOrphan)).as("running orphan of this instance").isFalse();
        assertThat(DockerCli.exists("network", orphanNetwork)).as("idle per-run network").isFalse();
        assertThat(DockerCli.exists("container", otherInstance)).as("another instance's container").isTrue();
        assertThat(second.log()).contains("maintenance - removed 2 orphan container(s)");

        assertThat(DockerCli.isRunning(DockerCli.containerOf(tracked))).as("the re-attached run's container").isTrue();
        assertThat(second.api().status(tracked)).isEqualTo("running");
        RestartRecoveryIT.openGate(tracked);
        JsonNode state = second.api().awaitFinished(tracked, Duration.ofSeconds(30));
        assertThat(state.path("status").asText()).isEqualTo("succeeded");
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("start\nend\n");
    }

    @Test
    void periodicSweepLeavesARunningRunAlone() {
        ServerProcess server = servers.start(ServerProcess.Setup.in(root, "--sweep-interval-ms", "500"));
        int sweepsBefore = sweeps(server);

        JsonNode state = server.api().runSync(script("sleep 5; echo survived", "timeout", 60_000));

        int sweepsDuring = sweeps(server) - sweepsBefore;
        System.out.printf("[maintenance] %d periodic sweeps ran during a 5 s run%n", sweepsDuring);
        assertThat(sweepsDuring).as("sweeps while the run ran").isGreaterThanOrEqualTo(4);
        assertThat(state.path("status").asText()).isEqualTo("succeeded");
        assertThat(state.path("exitCode").asInt()).isZero();
        assertThat(state.path("logs").path("stdout").asText()).isEqualTo("survived\n");
        assertThat(DockerCli.containersOfRun(state.path("id").asText())).isEmpty();
    }

    private static int sweeps(ServerProcess server) {
        return (int) server.log().lines().filter(l -> l.contains("maintenance - removed")).count();
    }
}
