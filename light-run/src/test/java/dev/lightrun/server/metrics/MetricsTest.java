package dev.lightrun.server.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.artifacts.LocalArtifactStore;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.callbacks.CallbackOutbox;
import dev.lightrun.server.callbacks.CallbackSender;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.fakes.FakeRunner;
import dev.lightrun.server.http.Json;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import dev.lightrun.server.runs.RunRequest;
import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.runs.RunSpecFactory;
import dev.lightrun.server.store.SqliteRunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Run events to meters, through the real {@link RunService} on a {@link FakeRunner}: each step of a run's life moves
 * exactly the series it should, read back from the Prometheus text as a scraper would. No Docker.
 */
class MetricsTest {
    @TempDir
    Path dir;
    private final FakeRunner fake = new FakeRunner();
    private Telemetry telemetry;
    private SqliteRunStore store;
    private CallbackSender sender;
    private CallbackOutbox outbox;
    private RunService service;

    private RunService service(int maxConcurrent, int maxQueue) {
        RunPolicy policy = RunPolicy.builder().allowedImages(List.of("alpine:*", "busybox:*")).build();
        telemetry = new Telemetry(policy, Optional.empty());
        store = new SqliteRunStore(dir.resolve("data"));
        LocalArtifactStore artifacts = new LocalArtifactStore(dir.resolve("artifacts"));
        sender = new CallbackSender(Duration.ofSeconds(2));
        outbox = new CallbackOutbox(store, sender, new CallbackGuard(List.of()), 1, Duration.ofMillis(10),
                telemetry.callbackEvents());
        RunSpecFactory specs = new RunSpecFactory(artifacts::folderOf, Duration.ofMinutes(5), 64 * 1024, false, policy);
        RunLogs logs = new RunLogs(dir.resolve("logs"), 1024 * 1024, Json.MAPPER);
        telemetry.watch(artifacts, logs);
        service = new RunService(telemetry.instrument(fake), store, artifacts, outbox, specs, logs, Json.MAPPER,
                Long.MAX_VALUE, maxConcurrent, maxQueue, owner -> Quota.UNLIMITED, telemetry.runEvents());
        return service;
    }

    @AfterEach
    void close() {
        if (outbox != null) {
            outbox.close();
            sender.close();
            store.close();
            telemetry.close();
        }
    }

    static RunRequest request(String image) {
        Map<String, JsonNode> files = Map.of("main.sh", TextNode.valueOf("echo hi"));
        return new RunRequest(image, files, "sh main.sh", null, null, null, null, null, null, Map.of(), null, true,
                null, null, null, null, null, null, null, null);
    }

    private double value(String series) {
        return PrometheusText.parse(telemetry.scrape()).value(series);
    }

    @Test
    void metricsCountRunsByStatusErrorCodeAndBoundedImage() {
        service(1, 1);
        String first = service.submit(request("alpine:3.20"), Caller.OPEN).accepted().id();
        String second = service.submit(request("busybox:1"), Caller.OPEN).accepted().id();
        assertThat(value("light_run_runs_running")).isEqualTo(1);
        assertThat(value("light_run_queue_depth")).isEqualTo(1);
        assertThat(value("light_run_tenant_runs_running{owner=\"anonymous\"}")).isEqualTo(1);
        assertThatThrownBy(() -> service.submit(request("alpine:3"), Caller.OPEN))
                .isInstanceOf(ApiException.class).extracting(e -> ((ApiException) e).error()).isEqualTo(ApiError.QUEUE_FULL);
        assertThat(value("light_run_admission_rejected_total{reason=\"queue_full\"}")).isEqualTo(1);

        fake.execution(first).exit(3);
        assertThat(value("light_run_queue_depth")).isZero();
        assertThat(value("light_run_runs_running")).isEqualTo(1);
        assertThat(value("light_run_queue_wait_seconds_count")).isEqualTo(2);
        fake.execution(second).succeed();

        assertThat(value("light_run_runs_started_total{image=\"alpine:*\"}")).isEqualTo(1);
        assertThat(value("light_run_runs_started_total{image=\"busybox:*\"}")).isEqualTo(1);
        assertThat(value("light_run_runs_finished_total{error_code=\"NONZERO_EXIT\",status=\"failed\"}")).isEqualTo(1);
        assertThat(value("light_run_runs_finished_total{error_code=\"none\",status=\"succeeded\"}")).isEqualTo(1);
        assertThat(value("light_run_run_duration_seconds_count{status=\"failed\"}")).isEqualTo(1);
        assertThat(value("light_run_run_duration_seconds_count{status=\"succeeded\"}")).isEqualTo(1);
        assertThat(value("light_run_phase_duration_seconds_count{phase=\"run\"}")).isEqualTo(2);
        assertThat(value("light_run_runs_running")).isZero();
        assertThat(value("light_run_tenant_runs_running{owner=\"anonymous\"}")).isZero();
    }

    @Test
    void cancelledWhileQueuedLeavesTheQueueAndNeverStarts() {
        service(1, 5);
        String running = service.submit(request("alpine:3"), Caller.OPEN).accepted().id();
        String queued = service.submit(request("alpine:3"), Caller.OPEN).accepted().id();
        service.cancel(queued);
        assertThat(value("light_run_queue_depth")).isZero();
        assertThat(value("light_run_runs_started_total{image=\"alpine:*\"}")).isEqualTo(1);
        assertThat(value("light_run_runs_finished_total{error_code=\"CANCELLED\",status=\"cancelled\"}")).isEqualTo(1);
        // Never ran: no duration recorded for it.
        assertThat(value("light_run_run_duration_seconds_count{status=\"cancelled\"}")).isZero();
        fake.execution(running).fail(ErrorCode.TIMED_OUT, "timed out after 1 s");
        assertThat(value("light_run_runs_finished_total{error_code=\"TIMED_OUT\",status=\"failed\"}")).isEqualTo(1);
    }

    @Test
    void policyAndQuotaRefusalsAreCountedByReasonAndTenant() {
        service(2, 2);
        assertThatThrownBy(() -> service.submit(request("python:3"), Caller.OPEN)).isInstanceOf(ApiException.class);
        assertThat(value("light_run_admission_rejected_total{reason=\"policy\"}")).isEqualTo(1);
        // The quota refusal as the tenant code raises it: the listener sees the exception that passes submit().
        Caller tenant = new Caller("team-a", Set.of(Scope.RUN), Quota.UNLIMITED);
        telemetry.runEvents().rejected(tenant, new ApiException(ApiError.QUOTA_EXCEEDED, "team-a has 2 queued")
                .withField("quota", "maxQueued"));
        assertThat(value("light_run_admission_rejected_total{reason=\"quota\"}")).isEqualTo(1);
        assertThat(value("light_run_tenant_quota_rejected_total{owner=\"team-a\",quota=\"maxQueued\"}")).isEqualTo(1);
    }

    @Test
    void dockerErrorsAreCountedByOperationAndDockerUpFollowsTheDaemon() {
        service(2, 2);
        assertThat(value("light_run_docker_up")).isEqualTo(1);
        fake.failNextStart(new RunnerException(ErrorCode.DAEMON_UNREACHABLE, "no daemon"));
        service.submit(request("alpine:3"), Caller.OPEN);
        assertThat(value("light_run_docker_errors_total{operation=\"start\"}")).isEqualTo(1);
        assertThat(value("light_run_runs_finished_total{error_code=\"START_FAILED\",status=\"failed\"}")).isEqualTo(1);
        fake.failInfo(new RunnerException(ErrorCode.DAEMON_UNREACHABLE, "no daemon"));
        assertThatThrownBy(service::engine).isInstanceOf(RunnerException.class);
        assertThat(value("light_run_docker_up")).isZero();
        assertThat(value("light_run_docker_errors_total{operation=\"info\"}")).isEqualTo(1);
    }

    @Test
    void callbacksAreCountedByOutcome() {
        service(2, 2);
        // No allow list: the guard refuses a loopback URL before connecting, and the attempt gives up at once.
        String id = service.submit(new RunRequest("alpine:3", Map.of("main.sh", TextNode.valueOf("echo")), "sh main.sh",
                null, null, null, null, null, null, Map.of(), null, true, "http://127.0.0.1:9/hook", null, null, null,
                null, null, null, null), Caller.OPEN).accepted().id();
        fake.execution(id).succeed();
        assertThat(value("light_run_callbacks_total{outcome=\"gave_up\"}")).isEqualTo(1);
        assertThat(value("light_run_callbacks_total{outcome=\"delivered\"}")).isZero();
        assertThat(value("light_run_callback_outbox_pending")).isZero();
    }

    @Test
    void imageLabelIsTheMatchingGlobOrOther() {
        ImageLabels labels = new ImageLabels(RunPolicy.builder().allowedImages(List.of("python:3.*", "local/*")).build());
        assertThat(labels.of("python:3.12")).isEqualTo("python:3.*");
        assertThat(labels.of("local/tool")).isEqualTo("local/*");
        assertThat(labels.of("evil/" + "x".repeat(50))).isEqualTo("other");
        assertThat(new ImageLabels(RunPolicy.builder().build()).of("anything:1")).isEqualTo("other");
        assertThat(labels.all()).containsExactly("python:3.*", "local/*", "other");
    }

    @Test
    void exposesJvmProcessAndHttpMeters() {
        service(1, 1);
        telemetry.http().record("GET", "/runs/{id}", 404, 1_000_000);
        PrometheusText text = PrometheusText.parse(telemetry.scrape());
        assertThat(text.value("http_server_requests_seconds_count{method=\"GET\",route=\"/runs/{id}\",status=\"404\"}"))
                .isEqualTo(1);
        assertThat(text.names()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
                "process_memory_rss_bytes", "light_run_artifacts_bytes", "light_run_log_bytes_dropped_total");
        assertThat(text.value("process_memory_rss_bytes")).isPositive();
    }
}
