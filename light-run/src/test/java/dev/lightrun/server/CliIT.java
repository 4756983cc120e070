package dev.lightrun.server;

import dev.lightrun.server.cli.LightRunCli;
import dev.lightrun.server.config.Defaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The {@code light-run} command: in-process for flags, as the shaded jar for what needs its own environment. */
class CliIT {
    private static final Path JAR = Path.of("target", "light-run.jar");

    /** Exit code, stdout and stderr of one in-process CLI call. */
    record Outcome(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static synchronized Outcome cli(String... args) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> LightRunCli.execute(args));
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    private static void assertNoStackTrace(String text) {
        assertThat(text).doesNotContain("Exception").doesNotContainPattern("(?m)^\\s+at ");
    }

    @Test
    void versionIsPrinted() {
        Outcome outcome = cli("--version");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out()).isEqualTo("light-run " + LightRunServer.version() + System.lineSeparator());
        assertThat(LightRunServer.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(outcome.err()).isEmpty();
    }

    @Test
    void serveHelpListsItsOptions() {
        Outcome outcome = cli("serve", "--help");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out()).contains("--port", "--token", "--artifacts-dir", "LIGHT_RUN_PORT")
                .contains("default " + Defaults.PORT).contains("default " + Defaults.MAX_ARTIFACTS_BYTES);
    }

    @Test
    void portThatIsNotANumberIsOneLineAndExit2() {
        Outcome outcome = cli("serve", "--port", "notanumber");

        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.errLines()).hasSize(1);
        assertThat(outcome.errLines().getFirst()).startsWith("light-run: ").contains("--port", "notanumber");
        assertNoStackTrace(outcome.err());
        assertThat(outcome.out()).isEmpty();
    }

    @Test
    void unknownOptionIsOneLineAndExit2() {
        Outcome outcome = cli("serve", "--no-such-flag");

        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.errLines()).hasSize(1);
        assertThat(outcome.errLines().getFirst()).contains("--no-such-flag");
        assertNoStackTrace(outcome.err());
    }

    @Test
    void badSettingIsOneLineNamingFlagAndVariableAndExit2(@TempDir Path artifacts) {
        Outcome outcome = cli("serve", "--port", "0", "--default-timeout-ms", "0", "--artifacts-dir",
                artifacts.toString());

        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.errLines()).containsExactly("light-run: invalid --default-timeout-ms"
                + " / LIGHT_RUN_DEFAULT_TIMEOUT_MS: must be 1..3600000 (ms), was 0");
        assertNoStackTrace(outcome.err());
        assertThat(outcome.out()).isEmpty();
    }

    @Test
    void badFilesModeIsOneLineAndExit2() {
        Outcome outcome = cli("serve", "--files-mode", "mount");

        assertThat(outcome.exitCode()).isEqualTo(2);
        assertThat(outcome.errLines()).containsExactly("light-run: invalid --files-mode / LIGHT_RUN_FILES_MODE:"
                + " must be auto, archive or bind, was 'mount'");
        assertNoStackTrace(outcome.err());
    }

    @Test
    void portInUseIsOneLineAndExit1(@TempDir Path artifacts) throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = busy.getLocalPort();

            Outcome outcome = cli("serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
                    "--artifacts-dir", artifacts.toString(), "--data-dir", artifacts.resolveSibling("data").toString());

            assertThat(outcome.exitCode()).isEqualTo(1);
            assertThat(outcome.errLines()).hasSize(1);
            assertThat(outcome.errLines().getFirst()).startsWith("light-run: ").contains("port " + port)
                    .contains("in use");
            assertNoStackTrace(outcome.err());
        }
    }

    /** The shaded jar as its own process; stdout and stderr go to files in {@code logs}. */
    private static Process jar(Path artifacts, Path logs, String dockerHost, String... args) throws IOException {
        assertThat(JAR).as("the shaded jar (built in package, before the ITs)").isRegularFile();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(logs.resolve("out.txt").toFile())
                .redirectError(logs.resolve("err.txt").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LIGHT_RUN_") || name.equals("DOCKER_HOST"));
        if (dockerHost != null) {
            builder.environment().put("DOCKER_HOST", dockerHost);
        }
        builder.environment().put("LIGHT_RUN_ARTIFACTS_DIR", artifacts.toString());
        // Its own run store: a server recovers the runs of its data folder at start-up.
        builder.environment().put("LIGHT_RUN_DATA_DIR", logs.resolve("data").toString());
        return builder.start();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void serveWithoutDockerSaysHowToStartItAndExits1(@TempDir Path artifacts, @TempDir Path logs) throws Exception {
        Process process = jar(artifacts, logs, "unix:///tmp/nope.sock", "serve", "--port", "0");

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exits by itself").isTrue();

        assertThat(process.exitValue()).isEqualTo(1);
        String err = read(logs.resolve("err.txt"));
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("stderr: %s", err).hasSize(1);
        assertThat(lines.getFirst()).startsWith("light-run: ").contains("unix:///tmp/nope.sock")
                .contains("dockerd").contains("DOCKER_HOST");
        assertNoStackTrace(err);
        assertThat(read(logs.resolve("out.txt"))).isEmpty();
        try (var files = Files.list(artifacts)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void servedJarAnswersUntilItIsStopped(@TempDir Path artifacts, @TempDir Path logs) throws Exception {
        Process process = jar(artifacts, logs, null, "serve", "--port", "0", "--token", "cli-test-token");
        try {
            Path err = logs.resolve("err.txt");
            Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(read(err)).containsPattern(listening));
            Matcher m = listening.matcher(read(err));
            assertThat(m.find()).isTrue();
            String base = "http://127.0.0.1:" + m.group(1);

            TestServer.Response health = TestServer.send(HttpRequest.newBuilder(URI.create(base + "/health")).build());
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().path("version").asText()).isEqualTo(LightRunServer.version());
            assertThat(TestServer.send(HttpRequest.newBuilder(URI.create(base + "/runs")).build()).status())
                    .isEqualTo(401);
            TestServer.Response authorized = TestServer.send(HttpRequest.newBuilder(URI.create(base + "/runs"))
                    .header("Authorization", "Bearer cli-test-token").build());
            assertThat(authorized.status()).isEqualTo(200);
            assertThat(authorized.json().isArray()).isTrue();

            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
            assertThat(read(err)).contains("light-run - stopped").doesNotContain("cli-test-token");
            assertNoStackTrace(read(err));
        } finally {
            process.destroyForcibly();
        }
    }
}
