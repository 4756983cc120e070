package dev.lightrun.server.metrics;

import dev.lightrun.runner.Runner;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.callbacks.CallbackEvents;
import dev.lightrun.server.config.RunPolicy;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.runs.RunEvents;
import dev.lightrun.server.tracing.HttpTracing;
import dev.lightrun.server.tracing.LogCorrelation;
import dev.lightrun.server.tracing.Tracing;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * The one place that turns what the server does into metrics and traces: a Prometheus registry fed by run, callback,
 * Docker and HTTP events plus JVM and process gauges, and (when {@code OTEL_TRACES_EXPORTER} asks for it) OpenTelemetry
 * spans. The run service and the callbacks only emit events ({@link #runEvents()}, {@link #callbackEvents()}); they
 * know nothing of either. Thread-safe; {@link #close()} is idempotent.
 */
public final class Telemetry implements AutoCloseable {
    /** The Prometheus text format's content type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ImageLabels images;
    private final RunMetrics runs;
    private final CallbackMetrics callbacks;
    private final HttpMetrics http;
    private final Tracing tracing;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final List<AutoCloseable> open = new ArrayList<>();

    /** Metrics for runs under {@code policy}, and traces when {@code tracing} is present. */
    public Telemetry(RunPolicy policy, Optional<Tracing> tracing) {
        this.images = new ImageLabels(policy);
        this.runs = new RunMetrics(registry, images);
        this.callbacks = new CallbackMetrics(registry);
        this.http = new HttpMetrics(registry);
        this.tracing = tracing.orElse(null);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new ProcessMemory().bindTo(registry);
    }

    /** Metrics always; traces as the {@code OTEL_*} environment says (off unless an exporter is named). */
    public static Telemetry fromEnvironment(RunPolicy policy) {
        return new Telemetry(policy, Tracing.fromEnvironment());
    }

    /** What the run service reports: to the meters, the spans (when on) and the log correlation. */
    public RunEvents runEvents() {
        return tracing == null ? RunEvents.all(List.of(runs, LogCorrelation.EVENTS))
                : RunEvents.all(List.of(runs, tracing.runs(), LogCorrelation.EVENTS));
    }

    /** What the callback outbox reports, and the traceparent each run's callback carries (when tracing is on). */
    public CallbackEvents callbackEvents() {
        return callbacks;
    }

    /** {@code runId -> traceparent} for callbacks: always null with tracing off. */
    public Function<String, String> traceparents() {
        return tracing == null ? runId -> null : runId -> tracing.runs().traceparent(runId);
    }

    /** {@code runner}, counting Docker errors by operation and telling whether the daemon answers. */
    public Runner instrument(Runner runner) {
        return new DockerMetrics(runner, registry);
    }

    /** With replicas: the queue depth gauge reads the shared queue (a database count at each scrape). */
    public void countSharedQueue(IntSupplier depth) {
        runs.countQueue(depth);
    }

    /** Gauges of the artifact total and the counter of log output dropped by the cap. */
    public void watch(ArtifactStore artifacts, RunLogs logs) {
        Gauge.builder("light_run.artifacts", artifacts, ArtifactStore::totalBytes).baseUnit("bytes")
                .description("Bytes of finished runs' artifacts kept now").register(registry);
        FunctionCounter.builder("light_run.log.bytes.dropped", logs, RunLogs::droppedBytesTotal)
                .description("Bytes of run output dropped to respect the per-run log cap").register(registry);
    }

    public HttpMetrics http() {
        return http;
    }

    /** The request tracing, when tracing is on. */
    public Optional<HttpTracing> httpTracing() {
        return tracing == null ? Optional.empty() : Optional.of(tracing.http());
    }

    /** Every meter in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Serves {@code GET /metrics} without authentication on its own port ({@code LIGHT_RUN_METRICS_PORT}; 0 picks a
     * free one); returns the port.
     */
    public int servePort(String host, int port) {
        MetricsPort server = new MetricsPort(host, port, this::scrape);
        open.add(server);
        return server.port();
    }

    /** Stops the metrics port, flushes the traces still buffered. */
    @Override
    public void close() {
        for (AutoCloseable closeable : open) {
            try {
                closeable.close();
            } catch (Exception e) {
                // stopping: nothing left to tell
            }
        }
        open.clear();
        gc.close();
        if (tracing != null) {
            tracing.close();
        }
        registry.close();
    }
}
