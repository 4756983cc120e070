package dev.lightrun.runner.docker;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ExtractPolicy;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.SkippedEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;

/** Copying files out of a finished run: what lands on the host, what is reported, what is refused. */
class ExtractionIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    @TempDir
    Path dest;

    @Test
    void extractsAFileUnderItsName() throws Exception {
        Path notYetThere = dest.resolve("made/by/extraction");
        RunResult result = docker.runner().run(docker.busybox("printf '{\"ok\":true}' > r.json")
                .extraction(Extraction.of(notYetThere, "/app/r.json")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(notYetThere.resolve("r.json")).hasContent("{\"ok\":true}");
        assertThat(result.entries()).containsExactly(new ExtractedEntry("r.json", 11, EntryType.FILE));
        assertThat(result.missingPaths()).isEmpty();
        assertThat(result.skipped()).isEmpty();
        assertThat(result.timings()).containsKey("extract");
    }

    @Test
    void extractsANestedDirectory() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "mkdir -p out/a/b && echo 1 > out/top.txt && echo deep > out/a/b/deep.txt")
                .extraction(Extraction.of(dest, "/app/out")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(dest.resolve("out/top.txt")).hasContent("1\n");
        assertThat(dest.resolve("out/a/b/deep.txt")).hasContent("deep\n");
        assertThat(result.entries()).containsExactlyInAnyOrder(
                new ExtractedEntry("out", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/a", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/a/b", 0, EntryType.DIRECTORY),
                new ExtractedEntry("out/top.txt", 2, EntryType.FILE),
                new ExtractedEntry("out/a/b/deep.txt", 5, EntryType.FILE));
    }

    @Test
    void missingPathIsReportedAndTheRunStillSucceeds() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo here > r.txt")
                .extraction(Extraction.of(dest, "/app/r.txt", "/app/not-there")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.error()).isNull();
        assertThat(result.missingPaths()).containsExactly("/app/not-there");
        assertThat(dest.resolve("r.txt")).hasContent("here\n");
        assertThat(dest.resolve("not-there")).doesNotExist();
    }

    @Test
    void symlinkIsSkippedAndNeverFollowed() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "ln -s /etc/passwd link; mkdir out; echo a > out/a.txt; ln -s /etc/passwd out/pw")
                .extraction(Extraction.of(dest, "/app/link", "/app/out")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.skipped()).extracting(SkippedEntry::path).containsExactlyInAnyOrder("link", "out/pw");
        assertThat(result.skipped()).allSatisfy(s -> assertThat(s.reason()).contains("symbolic link"));
        assertThat(Files.exists(dest.resolve("link"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(dest.resolve("out/pw"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(dest.resolve("out/a.txt")).hasContent("a\n");
        assertThat(result.entries()).extracting(ExtractedEntry::path).containsExactlyInAnyOrder("out", "out/a.txt");
        assertThat(filesUnder(dest)).allSatisfy(f -> assertThat(f).content().doesNotContain("root:"));
    }

    @Test
    void entryOverThePerEntryCapRefusesTheExtractionAndLeavesNothing() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "echo small > small.txt; mkdir out; echo x > out/x.txt; head -c 4096 /dev/zero > out/big.bin")
                .extraction(Extraction.of(dest, "/app/small.txt", "/app/out").withCaps(1024, 1024 * 1024))
                .build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.error().code()).isEqualTo(ErrorCode.EXTRACTION_REFUSED);
        assertThat(result.error().message()).contains("big.bin", "4096");
        assertThat(result.entries()).isEmpty();
        assertThat(filesUnder(dest)).isEmpty();
        assertThat(dest).isEmptyDirectory();
    }

    @Test
    void totalOverTheCapRefusesTheExtraction() throws Exception {
        RunResult result = docker.runner().run(docker.busybox(
                        "head -c 600 /dev/zero > a.bin; head -c 600 /dev/zero > b.bin")
                .extraction(Extraction.of(dest, "/app/a.bin", "/app/b.bin").withCaps(1000, 1000)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.EXTRACTION_REFUSED);
        assertThat(dest).isEmptyDirectory();
    }

    @Test
    void nonZeroExitExtractsNothingByDefault() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo partial > r.txt; exit 2")
                .extraction(Extraction.of(dest, "/app/r.txt")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).isEqualTo(ErrorCode.NONZERO_EXIT);
        assertThat(result.entries()).isEmpty();
        assertThat(dest.resolve("r.txt")).doesNotExist();
    }

    @Test
    void nonZeroExitExtractsWithPolicyAlways() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo partial > r.txt; exit 2")
                .extraction(Extraction.of(dest, "/app/r.txt").withPolicy(ExtractPolicy.ALWAYS)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.error().code()).isEqualTo(ErrorCode.NONZERO_EXIT);
        assertThat(result.entries()).containsExactly(new ExtractedEntry("r.txt", 8, EntryType.FILE));
        assertThat(dest.resolve("r.txt")).hasContent("partial\n");
    }

    @Test
    void extractsFromAReadOnlyRootfsRunsWorkdirVolume() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("mkdir out && echo ro > out/r.txt")
                .limits(dev.lightrun.runner.Limits.DEFAULTS.withReadOnlyRootfs(true))
                .extraction(Extraction.of(dest, "/app/out")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(dest.resolve("out/r.txt")).hasContent("ro\n");
    }

    @Test
    void timedOutRunExtractsWithPolicyAlways() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo so-far > r.txt; sleep 60")
                .timeout(java.time.Duration.ofSeconds(1))
                .extraction(Extraction.of(dest, "/app/r.txt").withPolicy(ExtractPolicy.ALWAYS)).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(result.error().code()).isEqualTo(ErrorCode.TIMED_OUT);
        assertThat(dest.resolve("r.txt")).hasContent("so-far\n");
    }

    private static List<Path> filesUnder(Path folder) throws IOException {
        try (Stream<Path> tree = Files.walk(folder)) {
            return tree.filter(Files::isRegularFile).toList();
        }
    }
}
