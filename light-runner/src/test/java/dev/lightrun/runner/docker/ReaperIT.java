package dev.lightrun.runner.docker;

import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static dev.lightrun.runner.docker.DockerTestSupport.dockerCli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** reapOrphans removes what is labelled as ours and untracked, and never a live run of its own runner. */
class ReaperIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    @Test
    void reapRemovesAPlantedOrphanButLeavesALiveRunAlone() throws Exception {
        String plantedRunId = docker.trackRunId("planted-" + UUID.randomUUID());
        String planted = dockerCli("create", "--label", Labels.MANAGED + "=true", "--label",
                Labels.RUN_ID + "=" + plantedRunId, DockerTestSupport.BUSYBOX, "sleep", "60");
        CapturingSink sink = new CapturingSink();
        Execution live = docker.runner().start(docker.busybox("echo ready; sleep 30").logSink(sink).build());
        await().atMost(Duration.ofSeconds(15)).until(() -> sink.stdout().contains("ready"));
        Set<String> ours = Set.of(plantedRunId, live.runId());
        // The daemon is shared and reapOrphans removes every light-run object it does not track: reap only while no
        // one else's light-run container or network is there, so this test removes nothing it did not create.
        await("no other light-run containers or networks on the shared daemon")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> othersReapable(ours).isEmpty());

        ReapReport younger = docker.runner().reapOrphans(Duration.ofHours(1));
        assertThat(younger.containers()).as("an orphan younger than the cutoff stays").doesNotContain(planted);
        ReapReport report = docker.runner().reapOrphans(Duration.ZERO);

        assertThat(report.containers()).contains(planted);
        assertThat(docker.containersOf(Set.of(plantedRunId))).isEmpty();
        assertThat(live.result()).isNotDone();
        assertThat(docker.client().inspectContainerCmd("lightrun-" + live.runId()).exec().getState().getRunning())
                .as("the live run's container").isTrue();

        assertThat(live.cancel()).isTrue();
        RunResult result = live.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.stdout()).isEqualTo("ready\n");
    }

    /** Containers and networks labelled as light-run's that are not this test's and a reap would remove. */
    private static List<String> othersReapable(Set<String> ours) {
        List<String> others = new ArrayList<>();
        for (Container c : docker.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(List.of(Labels.MANAGED + "=true")).exec()) {
            String runId = c.getLabels() == null ? null : c.getLabels().get(Labels.RUN_ID);
            if (runId == null || !ours.contains(runId)) {
                others.add("container " + String.join(",", c.getNames()));
            }
        }
        for (Network n : docker.client().listNetworksCmd().withFilter("label", List.of(Labels.MANAGED + "=true"))
                .exec()) {
            if (!n.getName().equals("light-run-isolated")) {
                others.add("network " + n.getName());
            }
        }
        return others;
    }
}
