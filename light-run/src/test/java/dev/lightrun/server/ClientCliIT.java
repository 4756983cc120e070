package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.cli.LightRunCli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static dev.lightrun.server.TestServer.BUSYBOX;
import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The client side of the {@code light-run} command against a real server: in-process for exit codes, output and
 * files; as the shaded jar for Ctrl-C, which needs a process of its own to signal.
 */
class ClientCliIT {
    private static final Path JAR = Path.of("target", "light-run.jar");
    private static final Pattern RUN_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @TempDir
    static Path base;

    private static TestServer server;
    private static String url;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(Files.createDirectories(base.resolve("artifacts")));
        url = server.uri("").toString();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Exit code, stdout and stderr of one in-process CLI call. */
    record Outcome(int exitCode, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    /**
     * {@code light-run <args> --url <server>}, in-process, capturing what the command prints through picocli's
     * writers (the in-process server logs to System.err, so swapping System.out/err would mix its lines in).
     */
    private static Outcome cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (all.stream().noneMatch(a -> a.equals("--url"))) {
            all.addAll(1, List.of("--url", url));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new LightRunCli());
        cli.setExpandAtFiles(false); // as LightRunCli.execute (the jar test below runs that one, with an @-file)
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = assertTimeoutPreemptively(Duration.ofSeconds(90), () -> cli.execute(all.toArray(String[]::new)));
        return new Outcome(code, out.toString(), err.toString());
    }

    private static String newestRunId() {
        return server.get("/runs?limit=1").json().get(0).path("id").asText();
    }

    @Test
    void aSucceededRunExits0WithItsStdoutInOrderAndItsStderrApart() {
        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", marker().toString(),
                "--entrypoint", "for i in $(seq 1 200); do echo out$i; done; echo problem >&2");

        assertThat(outcome.exitCode()).as("stderr: %s", outcome.err()).isZero();
        assertThat(outcome.outLines()).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 200).mapToObj(i -> "out" + i).toList());
        assertThat(outcome.errLines()).containsExactly("problem");
        assertNoContainersLeftFor(newestRunId());
    }

    @Test
    void theWorkloadsExitCodeIsTheCommands() {
        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--entrypoint", "exit 3");

        assertThat(outcome.exitCode()).isEqualTo(3);
        assertThat(outcome.out()).isEmpty();
        assertThat(outcome.err()).as("a workload's own exit code needs no words").isEmpty();
    }

    @Test
    void aTimeoutExits124() {
        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--entrypoint", "sleep 30",
                "--timeout", "1s");

        assertThat(outcome.exitCode()).isEqualTo(124);
        assertThat(outcome.errLines()).singleElement().asString()
                .startsWith("light-run: TIMED_OUT: ").contains("timeout");
        assertNoContainersLeftFor(newestRunId());
    }

    @Test
    void filesGoUpAndExtractedFilesLandInTheOutputFolderByteExact(@TempDir Path work) throws Exception {
        byte[] binary = new byte[100 * 1024];
        new Random(7).nextBytes(binary);
        binary[0] = 0;
        Path local = Files.write(work.resolve("in.bin"), binary);
        Path out = work.resolve("results");

        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", local + "=data/in.bin",
                "--entrypoint", "mkdir -p out && cp data/in.bin out/copy.bin"
                        + " && head -c 5242880 /dev/urandom > out/big.bin && sha256sum out/big.bin",
                "--extract", "/app/out", "-o", out.toString());

        assertThat(outcome.exitCode()).as("stderr: %s", outcome.err()).isZero();
        assertThat(Files.readAllBytes(out.resolve("out/copy.bin"))).isEqualTo(binary);
        String inside = outcome.out().split("\\s+")[0];
        assertThat(sha256(Files.readAllBytes(out.resolve("out/big.bin")))).isEqualTo(inside);
        assertThat(outcome.err()).as("no progress bar without a terminal").isEmpty();
    }

    @Test
    void inputFromAFileReachesStdin(@TempDir Path work) throws IOException {
        Path input = Files.writeString(work.resolve("in.json"), "{\"a\": 1}");

        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--entrypoint", "cat",
                "--input", "@" + input, "--env", "GREETING=hello");

        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.out()).isEqualTo("{\"a\":1}" + System.lineSeparator());
    }

    @Test
    void aRefusedRequestIsOneLineAndExit125() {
        Outcome outcome = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--entrypoint", "true",
                "--env", "1BAD=x");

        assertThat(outcome.exitCode()).isEqualTo(125);
        assertThat(outcome.errLines()).singleElement().asString().startsWith("light-run: bad_request: env[1BAD]: ");
        assertThat(outcome.out()).isEmpty();
    }

    @Test
    void anImageThatIsNotThereIsOneLineAndExit125() {
        Outcome outcome = cli("run", "--image", "light-run-test/not-built-anywhere", "--file", marker().toString(),
                "--entrypoint", "true");

        assertThat(outcome.exitCode()).isEqualTo(125);
        assertThat(outcome.errLines()).singleElement().asString()
                .startsWith("light-run: IMAGE_NOT_FOUND: image light-run-test/not-built-anywhere ");
        assertNoContainersLeftFor(newestRunId());
    }

    @Test
    void noServerIsOneLineAndExit125() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        Outcome outcome = cli("run", "--url", "http://127.0.0.1:" + closedPort, "--image", BUSYBOX,
                "--file", marker().toString());

        assertThat(outcome.exitCode()).isEqualTo(125);
        assertThat(outcome.errLines()).singleElement().asString()
                .startsWith("light-run: unreachable: cannot connect to http://127.0.0.1:" + closedPort);
    }

    @Test
    void aDetachedRunIsListedShownLoggedAndDownloaded(@TempDir Path target) throws IOException {
        Outcome detached = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--detach",
                "--entrypoint", "echo hi; echo warn >&2; mkdir -p out && echo x > out/f.txt", "--extract", "/app/out");
        assertThat(detached.exitCode()).isZero();
        String id = detached.out().strip();
        assertThat(id).matches(RUN_ID);
        server.awaitFinished(id);

        Outcome get = cli("get", id);
        assertThat(get.exitCode()).isZero();
        assertThat(get.outLines()).contains("status:    succeeded", "exit code: 0", "artifact:  out/f.txt (2 bytes)");

        JsonNode json = TestServer.JSON.readTree(cli("get", id, "--json").out());
        assertThat(json.path("id").asText()).isEqualTo(id);
        assertThat(json.path("status").asText()).isEqualTo("succeeded");
        assertThat(json.path("durationMs").isIntegralNumber()).isTrue();

        Outcome logs = cli("logs", id);
        assertThat(logs.outLines()).containsExactly("hi");
        assertThat(logs.errLines()).containsExactly("warn");
        Outcome jsonLogs = cli("logs", id, "--json");
        assertThat(jsonLogs.outLines()).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{\"t\":\""));

        Outcome runs = cli("runs", "--limit", "50");
        assertThat(runs.exitCode()).isZero();
        assertThat(runs.outLines().getFirst()).startsWith("ID").contains("STATUS", "EXIT", "IMAGE");
        assertThat(runs.out()).contains(id);
        assertThat(TestServer.JSON.readTree(cli("runs", "--json", "--status", "succeeded").out()).isArray()).isTrue();

        Outcome download = cli("download", id, "out/f.txt", "-o", target.toString());
        assertThat(download.exitCode()).isZero();
        assertThat(Files.readString(target.resolve("out/f.txt"))).isEqualTo("x\n");
    }

    @Test
    void anUnknownRunIsOneLineAndExit1() {
        String id = "019a6c2e-1f0b-7000-8c5e-3f1d2a9b7c41";

        for (String command : List.of("get", "logs", "cancel")) {
            Outcome outcome = cli(command, id);

            assertThat(outcome.exitCode()).as(command).isEqualTo(1);
            assertThat(outcome.errLines()).as(command)
                    .containsExactly("light-run: not_found: run " + id + " not found");
        }
    }

    @Test
    void aServerThatRunsAloneHasNoReplicasToListOrForget() throws IOException {
        Outcome list = cli("replicas", "list", "--url", url);
        Outcome json = cli("replicas", "list", "--json", "--url", url);
        Outcome forget = cli("replicas", "forget", "some-replica", "--url", url);

        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).isEmpty();
        assertThat(list.errLines()).containsExactly("light-run: " + url + " runs alone: replicas share a PostgreSQL"
                + " store (LIGHT_RUN_STORE_URL)");
        assertThat(TestServer.JSON.readTree(json.out())).isEqualTo(TestServer.JSON.readTree(
                "{\"self\":null,\"replicas\":[]}"));
        assertThat(forget.exitCode()).isEqualTo(1);
        assertThat(forget.errLines()).containsExactly(
                "light-run: not_found: this server is not one of several replicas");
    }

    @Test
    void cancelFromAnotherShellEndsTheRunAndItsCommandExits130() throws Exception {
        Outcome detached = cli("run", "--image", BUSYBOX, "--file", marker().toString(), "--detach",
                "--entrypoint", "sleep 60");
        String id = detached.out().strip();
        server.awaitRunning(id);

        Outcome cancel = cli("cancel", id);

        assertThat(cancel.exitCode()).isZero();
        assertThat(cancel.out().strip()).isEqualTo(id);
        assertThat(server.awaitFinished(id).path("status").asText()).isEqualTo("cancelled");
        assertNoContainersLeftFor(id);
    }

    @Test
    void ctrlCCancelsTheRunOnTheServerAndExits130(@TempDir Path logs) throws Exception {
        assertThat(JAR).as("the shaded jar (built in package, before the ITs)").isRegularFile();
        Path input = Files.writeString(logs.resolve("in.json"), "{\"a\": [1, 2]}");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "run", "--url", url, "--image", BUSYBOX, "--file", marker().toString(),
                "--entrypoint", "echo started; sleep 60", "--input", "@" + input);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(logs.resolve("err.txt").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LIGHT_RUN_"));
        Process process = builder.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = assertTimeoutPreemptively(Duration.ofSeconds(60), out::readLine);
            assertThat(first).as("the run's first line, live, stderr: %s", Files.readString(logs.resolve("err.txt")))
                    .isEqualTo("started");

            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -INT sent").isTrue();

            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits after Ctrl-C").isTrue();
            assertThat(process.exitValue()).isEqualTo(130);
            String err = Files.readString(logs.resolve("err.txt"));
            Matcher cancelling = Pattern.compile("light-run: cancelling run (" + RUN_ID.pattern() + ")").matcher(err);
            assertThat(cancelling.find()).as("stderr: %s", err).isTrue();
            String id = cancelling.group(1);
            assertThat(server.awaitFinished(id).path("status").asText()).isEqualTo("cancelled");
            assertNoContainersLeftFor(id);
        } finally {
            process.destroyForcibly();
        }
    }

    private static Path marker() {
        Path file = base.resolve("marker.txt");
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, "light-run CLI test");
            }
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
