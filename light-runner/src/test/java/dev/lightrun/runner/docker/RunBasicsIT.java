package dev.lightrun.runner.docker;

import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Extraction;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.docker.DockerTestSupport.CapturingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import static dev.lightrun.runner.docker.DockerTestSupport.describe;
import static org.assertj.core.api.Assertions.assertThat;

/** What a user sees of a plain run: output, exit code, files, env, workdir, stdin, the output cap. */
class RunBasicsIT {
    @RegisterExtension
    static final DockerTestSupport docker = new DockerTestSupport();

    @Test
    void echoSucceedsWithExactStdout() throws Exception {
        CapturingSink sink = new CapturingSink();
        RunResult result = docker.runner().run(docker.busybox("echo hello world").logSink(sink).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.succeeded()).isTrue();
        assertThat(result.exitCode()).isZero();
        assertThat(result.error()).isNull();
        assertThat(result.stdout()).isEqualTo("hello world\n");
        assertThat(result.stderr()).isEmpty();
        assertThat(result.stdoutTruncated()).isFalse();
        assertThat(result.timedOut()).isFalse();
        assertThat(result.oomKilled()).isFalse();
        assertThat(result.startedAt()).isNotNull().isBeforeOrEqualTo(result.finishedAt());
        assertThat(result.timings()).containsKeys("image", "create", "start", "run", "remove");
        assertThat(sink.stdout()).isEqualTo("hello world\n");
        assertThat(sink.closed()).as("the sink is closed at the end").isTrue();
    }

    @Test
    void nonZeroExitFailsWithItsExitCode() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo before; echo oops >&2; exit 3").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.error()).isNotNull();
        assertThat(result.error().code()).isEqualTo(ErrorCode.NONZERO_EXIT);
        assertThat(result.error().message()).contains("3");
        assertThat(result.stdout()).isEqualTo("before\n");
        assertThat(result.stderr()).isEqualTo("oops\n");
    }

    @Test
    void nestedFilesAndBinaryFileRoundTrip(@TempDir Path out) throws Exception {
        byte[] binary = new byte[1024 * 1024];
        new Random(42).nextBytes(binary);
        String expectedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(binary));

        RunResult result = docker.runner().run(docker.busybox(
                        "cat a/b/c.txt; sha256sum blob.bin | cut -d' ' -f1; wc -c < empty.txt")
                .file("a/b/c.txt", "nested content\n")
                .file("empty.txt", new byte[0])
                .file("blob.bin", binary)
                .extraction(Extraction.of(out, "/app/blob.bin"))
                .build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("nested content\n" + expectedSha + "\n0\n");
        assertThat(out.resolve("blob.bin")).hasBinaryContent(binary);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "$HOME and ${PATH}",
            "`id` and $(id)",
            "a; echo injected; b",
            "single ' and double \" quotes",
            "line one\nline two\n",
            "unicode: ü 日本語 🚀",
            "-n --help %s %d \\n \\ backslashes",
            "*  ?  [a-z]  ~  | & > < !",
            "key=value=more",
            ""})
    void envValueWithShellMetacharactersIsPassedLiterally(String value) throws Exception {
        RunResult result = docker.runner().run(docker.busybox("printf '%s' \"$V\"").env("V", value).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo(value);
    }

    @Test
    void defaultWorkdirIsApp() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("pwd").build());

        assertThat(result.stdout()).isEqualTo("/app\n");
    }

    @Test
    void customWorkdirIsUsedAndReceivesTheFiles() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("pwd; cat in.txt")
                .workdir("/work/sub").file("in.txt", "uploaded here\n").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("/work/sub\nuploaded here\n");
    }

    @Test
    void stdinBytesReachCatExactly() throws Exception {
        byte[] input = new byte[256 * 4];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) i;
        }
        CapturingSink sink = new CapturingSink();

        RunResult result = docker.runner().run(docker.busybox("cat").stdin(input).logSink(sink).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(sink.stdoutBytes()).isEqualTo(input);
    }

    @Test
    void stdinJsonDocumentReachesCatUnchanged() throws Exception {
        String json = "{\"name\": \"light-run\", \"list\": [1, 2, 3], \"quote\": \"it's \\\"quoted\\\"\","
                + " \"unicode\": \"ü\"}\n";

        RunResult result = docker.runner().run(docker.busybox("cat").stdin(json).build());

        assertThat(result.stdout()).isEqualTo(json);
    }

    @Test
    void pythonReadsJsonFromStdin() throws Exception {
        String script = """
                import json, sys
                doc = json.load(sys.stdin)
                print(doc["name"], sum(doc["values"]), doc["text"])
                """;

        RunResult result = docker.runner().run(docker.pynode("python3 main.py")
                .file("main.py", script)
                .stdin("{\"name\": \"total\", \"values\": [1, 2, 39], \"text\": \"it's \\\"ü\\\"\"}")
                .build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("total 42 it's \"ü\"\n");
    }

    @Test
    void nodeParsesJsonFromStdin() throws Exception {
        String script = """
                const doc = JSON.parse(require('fs').readFileSync(0, 'utf8'));
                console.log(doc.name, doc.values.reduce((a, b) => a + b, 0));
                """;

        RunResult result = docker.runner().run(docker.pynode("node main.js")
                .file("main.js", script)
                .stdin("{\"name\": \"total\", \"values\": [1, 2, 39]}")
                .build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("total 42\n");
    }

    @Test
    void pythonReadsStdinBytesExactly() throws Exception {
        byte[] input = new byte[64 * 1024];
        new Random(7).nextBytes(input);
        String expectedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
        String script = """
                import hashlib, sys
                data = sys.stdin.buffer.read()
                print(len(data), hashlib.sha256(data).hexdigest())
                """;

        RunResult result = docker.runner().run(docker.pynode("python3 main.py")
                .file("main.py", script).stdin(input).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo(input.length + " " + expectedSha + "\n");
    }

    @Test
    void workloadReadingStdinToEndOfFileTerminates() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("wc -c; echo after-eof")
                .stdin("12345\n").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("6\nafter-eof\n");
    }

    @Test
    void withoutStdinTheWorkloadSeesEndOfFileAtOnce() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("cat; echo after-eof").build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("after-eof\n");
    }

    @Test
    void stdinFileIsNotLeftInTheWorkdir() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("cat >/dev/null; ls -A").stdin("secret").build());

        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void outputOverTheCapKeepsTheTailAndSaysItWasTruncated() throws Exception {
        // 30,000 lines of 100 bytes = 3,000,000 bytes, then a last line.
        String line = "x".repeat(99);
        RunResult result = docker.runner().run(docker.busybox("yes " + line + " | head -n 30000; echo the-last-line")
                .logCapBytes(RunSpec.DEFAULT_LOG_CAP_BYTES).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdoutTruncated()).isTrue();
        assertThat(result.stdout().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024 * 1024);
        assertThat(result.stdout()).endsWith(line + "\nthe-last-line\n");
        assertThat(result.stderrTruncated()).isFalse();
    }

    @Test
    void outputUnderTheCapIsKeptWhole() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("yes abc | head -n 1000").logCapBytes(4000).build());

        assertThat(result.stdoutTruncated()).isFalse();
        assertThat(result.stdout()).isEqualTo("abc\n".repeat(1000));
    }

    @Test
    void zeroLogCapKeepsNoOutputButSaysItWasTruncated() throws Exception {
        CapturingSink sink = new CapturingSink();
        RunResult result = docker.runner().start(docker.busybox("echo dropped").logCapBytes(0).logSink(sink).build())
                .await(Duration.ofSeconds(20)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stdoutTruncated()).isTrue();
        assertThat(sink.stdout()).as("the live sink still sees everything").isEqualTo("dropped\n");
    }

    @Test
    void aSlowLogSinkIsClosedOnceBeforeTheResultIsThere() throws Exception {
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        CapturingSink slowToFlush = new CapturingSink() {
            @Override
            public void close() {
                try {
                    // A sink flushing a file takes a while: 300 ms here.
                    never.await(300, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                closes.incrementAndGet();
                super.close();
            }
        };

        RunResult result = docker.runner().run(docker.busybox("echo flushed").logSink(slowToFlush).build());

        assertThat(result.stdout()).isEqualTo("flushed\n");
        assertThat(slowToFlush.closed()).as("closed when run() returns").isTrue();
        assertThat(closes.get()).isEqualTo(1);
    }

    @Test
    void aLogSinkFailingToCloseDoesNotHoldUpTheResult() throws Exception {
        dev.lightrun.runner.LogSink sink = new dev.lightrun.runner.LogSink() {
            @Override
            public void accept(dev.lightrun.runner.LogStream stream, byte[] chunk) {
            }

            @Override
            public void close() {
                throw new IllegalStateException("close broke");
            }
        };
        RunResult result = docker.runner().start(docker.busybox("echo fine").logSink(sink).build())
                .await(Duration.ofSeconds(20)).orElseThrow();

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("fine\n");
    }

    @Test
    void aFailingLogSinkCostsItsOutputNotTheRun() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("echo one; echo two").logSink((stream, chunk) -> {
            throw new IllegalStateException("sink broke");
        }).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(result.stdout()).isEqualTo("one\ntwo\n");
    }

    @Test
    void namedNetworkThatDoesNotExistFailsToStart() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("true")
                .network(dev.lightrun.runner.NetworkChoice.named("lr-test-no-such-network")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).as(describe(result)).isEqualTo(ErrorCode.START_FAILED);
        assertThat(result.error().message()).contains("lr-test-no-such-network");
        assertThat(result.exitCode()).isNull();
    }

    @Test
    void userUnknownToTheImageFailsToStart() throws Exception {
        RunResult result = docker.runner().run(docker.busybox("true")
                .limits(dev.lightrun.runner.Limits.DEFAULTS.withUser("no-such-user")).build());

        assertThat(result.status()).as(describe(result)).isEqualTo(RunStatus.FAILED);
        assertThat(result.error().code()).as(describe(result)).isEqualTo(ErrorCode.START_FAILED);
        assertThat(result.error().message()).contains("no-such-user");
        assertThat(result.exitCode()).isNull();
    }

    @Test
    void startAfterCloseIsRefused() {
        DockerRunner closed = DockerRunner.fromEnvironment();
        closed.close();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> closed.start(docker.busybox("true").build()))
                .isInstanceOf(IllegalStateException.class);
    }
}
