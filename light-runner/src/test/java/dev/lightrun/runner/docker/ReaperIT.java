package dev.lightrun.runner.docker;

import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static dev.lightrun.runner.docker.DockerTestSupport.dockerCli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * reapOrphans removes what this runner instance labelled and no longer tracks, never a live run of its own, and never
 * another instance's containers (the daemon is shared: other servers and test suites run next to us).
 */
class ReaperIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    /** Cached build images are shared by every instance: the reaps here leave them alone. */
    private static final Duration KEEP_IMAGES = Duration.ofDays(3650);

    private static String plant(String runId, String instance) {
        return dockerCli("create", "--label", Labels.MANAGED + "=true",
                "--label", Labels.RUN_ID + "=" + docker.trackRunId(runId),
                "--label", Labels.INSTANCE + "=" + instance, DockerTestSupport.BUSYBOX, "sleep", "60");
    }

    @Test
    void reapRemovesAPlantedOrphanButLeavesALiveRunAndOtherInstancesAlone() throws Exception {
        String instance = "reaper-it-" + UUID.randomUUID().toString().substring(0, 8);
        try (DockerRunner own = DockerRunner.builder().instance(instance).build()) {
            String plantedRunId = "planted-" + UUID.randomUUID();
            String planted = plant(plantedRunId, instance);
            String outsideRunId = "planted-" + UUID.randomUUID();
            String outside = plant(outsideRunId, "another-" + instance);
            CapturingSink sink = new CapturingSink();
            Execution live = own.start(docker.busybox("echo ready; sleep 30").logSink(sink).build());
            docker.trackRunId(live.runId());
            await().atMost(Duration.ofSeconds(15)).until(() -> sink.stdout().contains("ready"));

            ReapReport younger = own.reapOrphans(Duration.ofHours(1), KEEP_IMAGES);
            assertThat(younger.total()).as("nothing is older than an hour").isZero();
            ReapReport report = own.reapOrphans(Duration.ZERO, KEEP_IMAGES);

            assertThat(report.containers()).containsExactly(planted);
            assertThat(report.images()).isEmpty();
            assertThat(docker.containersOf(Set.of(plantedRunId))).isEmpty();
            assertThat(docker.containersOf(Set.of(outsideRunId))).as("another instance's").hasSize(1);
            assertThat(outside).isNotBlank();
            assertThat(live.result()).isNotDone();
            assertThat(docker.client().inspectContainerCmd("lightrun-" + live.runId()).exec().getState().getRunning())
                    .as("the live run's container").isTrue();

            assertThat(live.cancel()).isTrue();
            RunResult result = live.await(Duration.ofSeconds(10)).orElseThrow();
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
            assertThat(result.stdout()).isEqualTo("ready\n");
            // The other instance reaps its own.
            try (DockerRunner other = DockerRunner.builder().instance("another-" + instance).build()) {
                assertThat(other.reapOrphans(Duration.ZERO, KEEP_IMAGES).containers()).containsExactly(outside);
            }
        }
    }
}
