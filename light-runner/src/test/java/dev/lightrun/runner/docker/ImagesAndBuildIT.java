package dev.lightrun.runner.docker;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static dev.lightrun.runner.docker.DockerTestSupport.BUSYBOX;
import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Getting the image: build steps and their cache, missing images, and a daemon that does not answer. */
class ImagesAndBuildIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    /**
     * Build steps unique to this test (so the cache starts cold and no one else's image is touched) that leave a random
     * marker in the image: {@code date +%s%N} would do, but busybox's date has no %N.
     */
    private static List<String> markerSteps() {
        List<String> steps = List.of("echo " + UUID.randomUUID() + " > /build-token",
                "cat /proc/sys/kernel/random/uuid > /built-at");
        docker.trackImage(ImageResolver.BUILD_REPOSITORY + ":" + ImageResolver.cacheKey(BUSYBOX, steps));
        return steps;
    }

    private static RunSpec markerRun(List<String> steps) {
        return docker.busybox("cat /built-at").buildSteps(steps).buildTimeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void buildStepsRunOnceAndASecondIdenticalRunReusesTheCachedImage() throws Exception {
        List<String> steps = markerSteps();

        RunResult first = docker.runner().run(markerRun(steps));
        RunResult second = docker.runner().run(markerRun(steps));

        assertThat(first.status()).as(describe(first)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(second.status()).as(describe(second)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(first.stdout()).matches("[0-9a-f-]{36}\n");
        assertThat(second.stdout()).as("the marker written at build time").isEqualTo(first.stdout());
        assertThat(second.timings().get("image")).isLessThan(first.timings().get("image"));

        String tag = ImageResolver.BUILD_REPOSITORY + ":" + ImageResolver.cacheKey(BUSYBOX, steps);
        InspectImageResponse image = docker.client().inspectImageCmd(tag).exec();
        assertThat(image.getConfig().getLabels())
                .containsEntry(Labels.MANAGED, "true").containsEntry(Labels.KIND, "build")
                .containsEntry("dev.lightrun.base-image", BUSYBOX);
    }

    @Test
    void failingBuildStepReportsBuildFailedWithTheStepsOutput() throws Exception {
        String says = "build-step-says-" + UUID.randomUUID();
        List<String> steps = List.of("echo " + says + "; exit 7");
        String tag = ImageResolver.BUILD_REPOSITORY + ":" + ImageResolver.cacheKey(BUSYBOX, steps);
        docker.trackImage(tag);

        RunResult result = docker.runner().run(docker.busybox("echo never").buildSteps(steps).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.BUILD_FAILED);
        assertThat(result.error().message()).contains(says).contains("7");
        assertThat(result.exitCode()).isNull();
        assertThat(result.stdout()).isEmpty();
        assertThatThrownBy(() -> docker.client().inspectImageCmd(tag).exec()).isInstanceOf(NotFoundException.class);
    }

    @Test
    void identicalBuildsStartedTogetherAreCoalesced() throws Exception {
        List<String> steps = markerSteps();

        Execution a = docker.runner().start(markerRun(steps));
        Execution b = docker.runner().start(markerRun(steps));
        RunResult first = a.await(Duration.ofSeconds(60)).orElseThrow();
        RunResult second = b.await(Duration.ofSeconds(60)).orElseThrow();

        assertThat(first.status()).as(describe(first)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(second.status()).as(describe(second)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(first.stdout()).matches("[0-9a-f-]{36}\n");
        assertThat(second.stdout()).as("both ran the one image built").isEqualTo(first.stdout());
    }

    @Test
    void startedCompletesOnceTheContainerRunsNotWhileItsImageIsBuilt() throws Exception {
        List<String> steps = List.of("sleep 1 # " + UUID.randomUUID());
        docker.trackImage(ImageResolver.BUILD_REPOSITORY + ":" + ImageResolver.cacheKey(BUSYBOX, steps));
        RunSpec spec = docker.busybox("echo hi").buildSteps(steps).buildTimeout(Duration.ofSeconds(60)).build();

        Execution execution = docker.runner().start(spec);
        CompletableFuture<List<String>> containersWhenStarted = execution.started()
                .thenApply(started -> docker.containersOf(Set.of(spec.runId())));

        assertThat(execution.started()).as("while its image is built").isNotDone();
        RunResult result = execution.await(Duration.ofSeconds(60)).orElseThrow();
        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(containersWhenStarted.getNow(null)).as("its container when started() completed").hasSize(1);
    }

    @Test
    void missingImageReportsImageNotFoundAndLeavesNoContainer() throws Exception {
        RunSpec spec = RunSpec.builder("light-run-test/does-not-exist:nope").runId(docker.runId())
                .entrypoint("true").build();

        Execution execution = docker.runner().start(spec);
        RunResult result = execution.await(Duration.ofSeconds(60)).orElseThrow();
        assertThat(execution.started()).as("never started").isNotDone();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        assertThat(result.error().message()).contains("light-run-test/does-not-exist:nope");
        assertThat(result.exitCode()).isNull();
        assertThat(result.startedAt()).isNull();
        assertThat(docker.containersOf(Set.of(spec.runId()))).isEmpty();
    }

    @Test
    void unreachableTcpDaemonReportsDaemonUnreachableQuickly() throws Exception {
        assertDaemonUnreachable(URI.create("tcp://127.0.0.1:1"));
    }

    @Test
    void missingUnixSocketReportsDaemonUnreachableQuickly() throws Exception {
        assertDaemonUnreachable(URI.create("unix:///tmp/light-run-no-such-" + UUID.randomUUID() + ".sock"));
    }

    private static void assertDaemonUnreachable(URI host) throws Exception {
        try (Runner runner = DockerRunner.builder().dockerHost(host).build()) {
            long started = System.nanoTime();
            RunResult result = runner.start(docker.busybox("echo never").build())
                    .await(Duration.ofSeconds(5)).orElseThrow();
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(took).isLessThan(Duration.ofSeconds(5));
            assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
            assertThat(result.error().code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE);
            assertThat(result.exitCode()).isNull();
            assertThatThrownBy(runner::info).isInstanceOfSatisfying(RunnerException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNREACHABLE));
        }
    }
}
