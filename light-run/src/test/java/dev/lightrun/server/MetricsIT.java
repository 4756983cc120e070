package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.metrics.PrometheusText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /metrics} against a real server and Docker: scraped before and after known runs (succeeded, exit 3,
 * timed out, cancelled, queued, refused), the counters and histograms move by exactly what happened and the gauges
 * come back to 0; who may scrape; no exporter thread with tracing off; and a server process started with
 * {@code OTEL_*} and {@code LIGHT_RUN_LOG_FORMAT=json} exporting its spans over OTLP/HTTP, sending the run's
 * {@code traceparent} with its callback, and logging JSON lines that hold no secret.
 */
class MetricsIT {
    private static final String TOKEN = "api-token-for-metrics-it";
    private static final String SCRAPE_TOKEN = "scrape-token-for-metrics-it";
    private static final String IMAGE_LABEL = "image=\"light-run-test/*\"";

    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, c -> c.token(TOKEN)
                .metrics(m -> m.token(SCRAPE_TOKEN).port(0))
                .policy(p -> p.maxConcurrent(1).maxQueue(1).allowedImages(List.of("light-run-test/*"))));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static PrometheusText scrape() {
        TestServer.Response response = server.get("/metrics");
        assertThat(response.status()).as("GET /metrics: %s", response).isEqualTo(200);
        return PrometheusText.parse(response.text());
    }

    private static double delta(PrometheusText before, PrometheusText after, String series) {
        return after.value(series) - before.value(series);
    }

    @Test
    void countersAndHistogramsMoveByExactlyWhatHappened() {
        PrometheusText before = scrape();

        assertThat(server.runSync(busybox("echo hi")).path("status").asText()).isEqualTo("succeeded");
        JsonNode failed = server.runSync(busybox("exit 3"));
        assertThat(failed.path("exitCode").asInt()).isEqualTo(3);
        JsonNode timedOut = server.runSync(busybox("sleep 30").put("timeout", 1000));
        assertThat(timedOut.path("errorCode").asText()).isEqualTo("TIMED_OUT");
        String cancelled = server.runDetached(busybox("sleep 30"));
        server.awaitRunning(cancelled);
        assertThat(server.post("/runs/" + cancelled + "/cancel").status()).isLessThan(300);
        assertThat(server.awaitFinished(cancelled).path("status").asText()).isEqualTo("cancelled");

        // One slot, a queue of one: the second waits, the third is refused.
        String holder = server.runDetached(busybox("sleep 2"));
        String queued = server.runQueued(busybox("echo queued"));
        PrometheusText during = scrape();
        assertThat(during.value("light_run_queue_depth")).isEqualTo(1);
        assertThat(during.value("light_run_runs_running")).isEqualTo(1);
        TestServer.Response refused = server.submit(busybox("echo refused").put("detached", true));
        assertThat(refused.status()).isEqualTo(429);
        assertThat(server.awaitFinished(holder).path("status").asText()).isEqualTo("succeeded");
        assertThat(server.awaitFinished(queued).path("status").asText()).isEqualTo("succeeded");

        PrometheusText after = scrape();
        assertThat(delta(before, after, "light_run_runs_started_total{" + IMAGE_LABEL + "}")).isEqualTo(6);
        assertThat(delta(before, after, "light_run_runs_finished_total{error_code=\"none\",status=\"succeeded\"}"))
                .isEqualTo(3);
        assertThat(delta(before, after, "light_run_runs_finished_total{error_code=\"NONZERO_EXIT\",status=\"failed\"}"))
                .isEqualTo(1);
        assertThat(delta(before, after, "light_run_runs_finished_total{error_code=\"TIMED_OUT\",status=\"failed\"}"))
                .isEqualTo(1);
        assertThat(delta(before, after, "light_run_runs_finished_total{error_code=\"CANCELLED\",status=\"cancelled\"}"))
                .isEqualTo(1);
        assertThat(delta(before, after, "light_run_admission_rejected_total{reason=\"queue_full\"}")).isEqualTo(1);
        assertThat(delta(before, after, "light_run_queue_wait_seconds_count")).isEqualTo(6);
        assertThat(delta(before, after, "light_run_run_duration_seconds_count{status=\"succeeded\"}")).isEqualTo(3);
        assertThat(delta(before, after, "light_run_run_duration_seconds_count{status=\"failed\"}")).isEqualTo(2);
        assertThat(delta(before, after, "light_run_run_duration_seconds_count{status=\"cancelled\"}")).isEqualTo(1);
        assertThat(delta(before, after, "light_run_phase_duration_seconds_count{phase=\"create\"}")).isEqualTo(6);
        assertThat(delta(before, after, "light_run_phase_duration_seconds_count{phase=\"start\"}")).isEqualTo(6);
        assertThat(delta(before, after,
                "http_server_requests_seconds_count{method=\"POST\",route=\"/run\",status=\"429\"}")).isEqualTo(1);
        assertThat(after.value("light_run_queue_depth")).isZero();
        assertThat(after.value("light_run_runs_running")).isZero();
        assertThat(after.value("light_run_tenant_runs_running{owner=\"admin\"}")).isZero();
        assertThat(after.value("light_run_docker_up")).isEqualTo(1);
        assertThat(after.names()).contains("jvm_memory_used_bytes", "jvm_gc_pause_seconds_count",
                "process_cpu_usage", "process_memory_rss_bytes", "light_run_artifacts_bytes",
                "light_run_callback_outbox_pending", "light_run_log_bytes_dropped_total");
        for (String id : List.of(cancelled, holder, queued)) {
            TestServer.assertNoContainersLeftFor(id);
        }
    }

    @Test
    void metricsNeedAnAdminOrTheMetricsTokenExceptOnTheMetricsPort() {
        HttpRequest.Builder anonymous = HttpRequest.newBuilder(server.uri("/metrics")).timeout(Duration.ofSeconds(10));
        assertThat(TestServer.send(anonymous.GET().build()).status()).isEqualTo(401);
        TestServer.Response admin = server.get("/metrics");
        assertThat(admin.status()).isEqualTo(200);
        assertThat(admin.header("Content-Type")).startsWith("text/plain");
        TestServer.Response scraper = TestServer.send(HttpRequest.newBuilder(server.uri("/metrics"))
                .header("Authorization", "Bearer " + SCRAPE_TOKEN).GET().build());
        assertThat(scraper.status()).isEqualTo(200);
        assertThat(scraper.text()).contains("light_run_runs_running");
        // The metrics token reads metrics, nothing else.
        TestServer.Response elsewhere = TestServer.send(HttpRequest.newBuilder(server.uri("/runs"))
                .header("Authorization", "Bearer " + SCRAPE_TOKEN).GET().build());
        assertThat(elsewhere.status()).isEqualTo(401);
        int port = server.server.metricsPort();
        assertThat(port).isPositive().isNotEqualTo(server.port());
        TestServer.Response open = TestServer.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build());
        assertThat(open.status()).isEqualTo(200);
        assertThat(open.text()).contains("light_run_queue_depth");
        assertThat(TestServer.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/runs")).GET()
                .build()).status()).isEqualTo(404);
    }

    @Test
    void tracingOffStartsNoExporterThread() {
        assertThat(System.getenv("OTEL_TRACES_EXPORTER")).as("this test needs tracing off").isNullOrEmpty();
        server.runSync(busybox("echo traced?"));
        List<String> names = Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
        assertThat(names).noneMatch(name -> name.contains("OkHttp") || name.contains("BatchSpanProcessor"));
        assertThat(scrape().names()).contains("light_run_runs_started_total");
    }

    @Test
    void processWithOtelEnvironmentExportsSpansAndLogsJsonWithoutSecrets(@TempDir Path root) throws Exception {
        String callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        String secretToken = "tok-" + "9f8e7d6c5b4a";
        String envValue = "env-value-" + "5ecret";
        String inputValue = "input-value-" + "5ecret";
        String callbackSecret = "callback-secret-" + "0123456789";
        try (CallbackReceiver collector = CallbackReceiver.answering(200);
             CallbackReceiver callbacks = CallbackReceiver.answering(204)) {
            Path log = root.resolve("server.log");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                    Path.of("target", "light-run.jar").toAbsolutePath().toString(),
                    "dev.lightrun.server.cli.LightRunCli", "serve", "--port", "0",
                    "--data-dir", root.resolve("data").toString(), "--artifacts-dir", root.resolve("art").toString(),
                    "--callback-allow", "127.0.0.0/8"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.put("OTEL_TRACES_EXPORTER", "otlp");
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(""));
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
            env.put("LIGHT_RUN_LOG_FORMAT", "json");
            env.put("LIGHT_RUN_TOKEN", secretToken);
            Process process = builder.start();
            try {
                int port = awaitPort(process, log);
                URI base = URI.create("http://127.0.0.1:" + port);
                ObjectNode body = busybox("cat > /dev/null; echo $SECRET_ENV | wc -c").put("detached", true)
                        .put("callbackUrl", callbacks.url("/hook")).put("callbackSecret", callbackSecret);
                body.putObject("env").put("SECRET_ENV", envValue);
                body.putObject("input").put("password", inputValue);
                TestServer.Response accepted = TestServer.send(HttpRequest.newBuilder(base.resolve("/run"))
                        .header("Authorization", "Bearer " + secretToken)
                        .header("traceparent", "00-" + callerTrace + "-00f067aa0ba902b7-01")
                        .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(body))).build());
                assertThat(accepted.status()).as("%s", accepted).isEqualTo(202);
                String id = accepted.json().path("id").asText();

                await("callback").atMost(Duration.ofSeconds(60)).until(() -> !callbacks.received().isEmpty());
                assertThat(callbacks.received().getFirst().header("traceparent")).startsWith("00-" + callerTrace + "-");
                await("spans exported").atMost(Duration.ofSeconds(30)).until(() -> collector.received().stream()
                        .anyMatch(r -> new String(r.body(), StandardCharsets.ISO_8859_1).contains("light-run.run")));
                CallbackReceiver.Received export = collector.received().getFirst();
                assertThat(export.method()).isEqualTo("POST");
                assertThat(export.pathAndQuery()).isEqualTo("/v1/traces");
                assertThat(export.header("Content-Type")).isEqualTo("application/x-protobuf");
                assertThat(export.body()).isNotEmpty();
                assertThat(threadDump(process.pid())).contains("BatchSpanProcessor");

                process.destroy();
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                String text = Files.readString(log);
                assertThat(text).doesNotContain(secretToken, envValue, inputValue, callbackSecret);
                List<JsonNode> lines = new ArrayList<>();
                for (String line : text.lines().filter(l -> !l.isBlank()).toList()) {
                    lines.add(TestServer.JSON.readTree(line));
                }
                assertThat(lines).allSatisfy(line -> assertThat(line.path("message").isTextual()).isTrue());
                assertThat(lines).anySatisfy(line -> {
                    assertThat(line.path("runId").asText()).isEqualTo(id);
                    assertThat(line.path("owner").asText()).isEqualTo("admin");
                    assertThat(line.path("traceId").asText()).isEqualTo(callerTrace);
                });
                TestServer.assertNoContainersLeftFor(id);
            } finally {
                process.destroyForcibly();
            }
        }
    }

    private static int awaitPort(Process process, Path log) {
        Pattern listening = Pattern.compile("listening on http://[^:]+:(\\d+)");
        int[] port = {0};
        await("server up").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited early:\n" + text);
            }
            Matcher matcher = listening.matcher(text);
            if (!matcher.find()) {
                return false;
            }
            port[0] = Integer.parseInt(matcher.group(1));
            return true;
        });
        return port[0];
    }

    private static String threadDump(long pid) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
