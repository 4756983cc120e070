package dev.lightrun.runner.docker;

import dev.lightrun.runner.Execution;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;

/** Many runs at once on one runner: each gets its own files, env and output. */
class ConcurrencyIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    @Test
    void twentyConcurrentRunsEachPrintTheirOwnIndex() throws Exception {
        List<Execution> executions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            executions.add(docker.runner().start(docker.busybox("printf '%s %s\\n' \"$INDEX\" \"$(cat index.txt)\"")
                    .env("INDEX", String.valueOf(i)).file("index.txt", "file-" + i).build()));
        }
        assertThat(docker.runner().liveRunIds()).hasSizeGreaterThan(0);

        List<RunResult> results = new ArrayList<>();
        for (Execution execution : executions) {
            results.add(execution.await(Duration.ofSeconds(90)).orElseThrow());
        }

        assertThat(results).allSatisfy(r -> assertThat(r.status()).as(describe(r)).isEqualTo(RunStatus.SUCCEEDED));
        assertThat(results).extracting(RunResult::stdout)
                .containsExactlyElementsOf(IntStream.range(0, 20).mapToObj(i -> i + " file-" + i + "\n").toList());
        assertThat(results).extracting(RunResult::runId)
                .containsExactlyElementsOf(executions.stream().map(Execution::runId).toList());
        assertThat(docker.runner().liveRunIds()).doesNotContainAnyElementsOf(
                executions.stream().map(Execution::runId).toList());
    }
}
