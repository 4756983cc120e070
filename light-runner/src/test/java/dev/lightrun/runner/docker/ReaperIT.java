package dev.lightrun.runner.docker;

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
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static dev.lightrun.runner.docker.DockerTestSupport.dockerCli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * reapOrphans removes what is labelled as ours and untracked, and never a live run of its own runner.
 * <p>
 * The daemon is shared with other users of light-run, whose containers carry the same labels: an unscoped
 * {@code reapOrphans(Duration.ZERO)} would remove their runs too. So the sweep here is confined, with the runner's
 * package-private scope, to objects that also carry this test's own scope label; everything else about it (label
 * selection, the cutoff, sparing the runner's live runs, removal) is the public method's code.
 */
class ReaperIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    private static final String SCOPE = "dev.lightrun.test-scope";

    private static String plant(String runId, String... extraLabels) {
        List<String> args = new ArrayList<>(List.of("create",
                "--label", Labels.MANAGED + "=true", "--label", Labels.RUN_ID + "=" + docker.trackRunId(runId)));
        for (String label : extraLabels) {
            args.addAll(List.of("--label", label));
        }
        args.addAll(List.of(DockerTestSupport.BUSYBOX, "sleep", "60"));
        return dockerCli(args.toArray(String[]::new));
    }

    @Test
    void reapRemovesAPlantedOrphanButLeavesALiveRunAlone() throws Exception {
        String scope = UUID.randomUUID().toString();
        String plantedRunId = "planted-" + UUID.randomUUID();
        String planted = plant(plantedRunId, SCOPE + "=" + scope);
        String outsideRunId = "planted-" + UUID.randomUUID();
        String outside = plant(outsideRunId, SCOPE + "=another-" + scope);
        CapturingSink sink = new CapturingSink();
        Execution live = docker.runner().start(docker.busybox("echo ready; sleep 30").label(SCOPE, scope)
                .logSink(sink).build());
        await().atMost(Duration.ofSeconds(15)).until(() -> sink.stdout().contains("ready"));

        ReapReport younger = docker.runner().reapOrphans(Duration.ofHours(1), Map.of(SCOPE, scope));
        assertThat(younger.total()).as("nothing is older than an hour").isZero();
        ReapReport report = docker.runner().reapOrphans(Duration.ZERO, Map.of(SCOPE, scope));

        assertThat(report.containers()).containsExactly(planted);
        assertThat(report.networks()).isEmpty();
        assertThat(report.images()).isEmpty();
        assertThat(docker.containersOf(Set.of(plantedRunId))).isEmpty();
        assertThat(docker.containersOf(Set.of(outsideRunId))).as("outside the scope").hasSize(1);
        assertThat(outside).isNotBlank();
        assertThat(live.result()).isNotDone();
        assertThat(docker.client().inspectContainerCmd("lightrun-" + live.runId()).exec().getState().getRunning())
                .as("the live run's container").isTrue();

        assertThat(live.cancel()).isTrue();
        RunResult result = live.await(Duration.ofSeconds(10)).orElseThrow();
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.CANCELLED);
        assertThat(result.stdout()).isEqualTo("ready\n");
        // The one outside the scope is this test's too: a reap of exactly it removes it.
        assertThat(docker.runner().reapOrphans(Duration.ZERO, Map.of(SCOPE, "another-" + scope)).containers())
                .containsExactly(outside);
    }
}
