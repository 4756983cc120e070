package dev.lightrun.server.cli.client;

import dev.lightrun.client.FileContent;
import dev.lightrun.client.RunRequest;
import dev.lightrun.client.RunState;
import dev.lightrun.client.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client subcommands' pure parts, without a server: exit codes, durations, the request, a run's fields, the
 * progress line.
 */
class ClientCommandsTest {
    private static RunState ended(RunStatus status, Integer exitCode, boolean timedOut, String errorCode) {
        return new RunState("id", status, "img", null, true, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, exitCode,
                Duration.ZERO, timedOut, false, List.of(), null, errorCode, null, Map.of(), null);
    }

    @Test
    void exitCodesAreDockerRuns() {
        assertThat(RunExitCode.of(ended(RunStatus.SUCCEEDED, 0, false, null))).isZero();
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, 3, false, "NONZERO_EXIT"))).isEqualTo(3);
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, 137, false, "OOM_KILLED"))).isEqualTo(137);
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, 137, true, "TIMED_OUT"))).isEqualTo(124);
        assertThat(RunExitCode.of(ended(RunStatus.CANCELLED, 137, false, "CANCELLED"))).isEqualTo(130);
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, null, false, "IMAGE_NOT_FOUND"))).isEqualTo(125);
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, null, false, "START_FAILED"))).isEqualTo(125);
        assertThat(RunExitCode.of(ended(RunStatus.FAILED, 0, false, "EXTRACTION_REFUSED"))).isEqualTo(125);
    }

    @Test
    void durationsReadLikeTimeouts() {
        DurationConverter converter = new DurationConverter();

        assertThat(converter.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(converter.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(converter.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(converter.convert("45")).isEqualTo(Duration.ofSeconds(45));
        assertThatThrownBy(() -> converter.convert("soon")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'soon' is not a duration like 30s, 500ms, 5m or 1h");
    }

    @Test
    void theRequestCarriesFilesEnvAndInput(@TempDir Path dir) throws IOException {
        Path script = Files.writeString(dir.resolve("main.sh"), "echo hi\n");
        Path binary = Files.write(dir.resolve("blob.bin"), new byte[] {0, (byte) 0xff});
        Path folder = Files.createDirectories(dir.resolve("lib/sub"));
        Files.writeString(folder.resolve("x.txt"), "x");
        RunCommand command = new RunCommand();
        new CommandLine(command).parseArgs("--image", "img", "--file", script.toString(),
                "--file", binary + "=data/blob.bin", "--file", dir.resolve("lib") + "=vendor",
                "--env", "A=1=2", "--env", "PATH", "--input", "[1, 2]", "--timeout", "2m", "--memory", "256",
                "--extract", "/app/out", "--extract", "/tmp/x");

        RunRequest request = command.request();

        assertThat(request.image()).isEqualTo("img");
        assertThat(request.files()).containsOnlyKeys("main.sh", "data/blob.bin", "vendor/sub/x.txt");
        assertThat(request.files().get("main.sh")).isEqualTo(FileContent.text("echo hi\n"));
        assertThat(request.files().get("data/blob.bin")).isInstanceOf(FileContent.Binary.class);
        assertThat(request.env()).containsEntry("A", "1=2").containsEntry("PATH", System.getenv("PATH"));
        assertThat(request.input().toString()).isEqualTo("[1,2]");
        assertThat(request.timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(request.memoryMiB()).isEqualTo(256);
        assertThat(request.extract()).containsExactly("/app/out", "/tmp/x");
    }

    @Test
    void aMissingFileIsNamed() {
        RunCommand command = new RunCommand();
        new CommandLine(command).parseArgs("--image", "img", "--file", "/nope/x.txt=x.txt");

        assertThatThrownBy(command::request).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--file /nope/x.txt=x.txt: /nope/x.txt does not exist");
    }

    @Test
    void aRunShowsItsReplicaOnlyWhenItHasOne() {
        RunState alone = ended(RunStatus.SUCCEEDED, 0, false, null);
        RunState onB = new RunState("id", RunStatus.SUCCEEDED, "img", null, true, Instant.EPOCH, Instant.EPOCH,
                Instant.EPOCH, 0, Duration.ZERO, false, false, List.of(), null, null, null, Map.of(), null, "replica-b");

        assertThat(shown(alone)).noneMatch(line -> line.startsWith("replica"));
        assertThat(shown(onB)).containsSequence("finished:  1970-01-01 00:00:00Z", "replica:   replica-b");
    }

    private static List<String> shown(RunState run) {
        StringWriter out = new StringWriter();
        Tables.run(new PrintWriter(out, true), run);
        return out.toString().lines().toList();
    }

    @Test
    void progressLine() {
        assertThat(TerminalProgress.line("out/big.bin", 2 * 1048576, 5 * 1048576))
                .isEqualTo("out/big.bin [########------------]  40% 2.0/5.0 MiB");
    }
}
