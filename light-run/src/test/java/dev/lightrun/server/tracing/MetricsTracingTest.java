package dev.lightrun.server.tracing;

import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spans of runs and requests, exported to the SDK's in-memory exporter: a run's span with a child per phase
 * (start times rebuilt in order), a request's span continuing the caller's {@code traceparent}, a run accepted inside
 * a request as that request's child, and the callback's {@code traceparent} naming the run's span.
 */
class MetricsTracingTest {
    private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    private final Tracing tracing = new Tracing(sdk, sdk);

    @AfterEach
    void close() {
        tracing.close();
    }

    private static RunState finished(RunState accepted, Instant started, Map<String, Long> timings) {
        long total = timings.values().stream().mapToLong(Long::longValue).sum();
        return new RunState(accepted.id(), RunStatus.FAILED, accepted.image(), accepted.owner(), false,
                accepted.queuedAt(), started, started.plusMillis(total), 3, timings.get("run"), false, false, List.of(),
                "container exited with code 3", RunErrorCode.NONZERO_EXIT, null, timings, null);
    }

    private SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not exported: " + exporter.getFinishedSpanItems()));
    }

    @Test
    void runSpanHasAChildPerPhaseInOrderAndItsOutcome() {
        Instant queued = Instant.parse("2026-12-01T10:00:00Z");
        Instant started = queued.plusMillis(500);
        RunState accepted = RunState.queued("01a2323f-5838-7000-9e6e-ddc496dd67a6", "alpine:3", "team-a", false, queued);
        Map<String, Long> timings = new LinkedHashMap<>();
        timings.put("image", 2L);
        timings.put("create", 30L);
        timings.put("start", 40L);
        timings.put("run", 100L);
        timings.put("remove", 20L);
        tracing.runs().accepted(accepted);
        tracing.runs().finished(finished(accepted, started, timings));

        SpanData run = span("light-run.run");
        assertThat(run.getAttributes().get(RunTracing.RUN_ID)).isEqualTo(accepted.id());
        assertThat(run.getAttributes().get(RunTracing.IMAGE)).isEqualTo("alpine:3");
        assertThat(run.getAttributes().get(RunTracing.OWNER)).isEqualTo("team-a");
        assertThat(run.getAttributes().get(RunTracing.STATUS)).isEqualTo("failed");
        assertThat(run.getAttributes().get(RunTracing.EXIT_CODE)).isEqualTo(3L);
        assertThat(run.getAttributes().get(RunTracing.ERROR_CODE)).isEqualTo("NONZERO_EXIT");
        assertThat(run.getStartEpochNanos()).isEqualTo(toNanos(queued));
        assertThat(run.getParentSpanContext().isValid()).isFalse();

        SpanData queue = span("light-run.phase.queue");
        assertThat(queue.getParentSpanId()).isEqualTo(run.getSpanId());
        assertThat(queue.getEndEpochNanos() - queue.getStartEpochNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
        long at = toNanos(started);
        for (Map.Entry<String, Long> phase : timings.entrySet()) {
            SpanData child = span("light-run.phase." + phase.getKey());
            assertThat(child.getParentSpanId()).isEqualTo(run.getSpanId());
            assertThat(child.getTraceId()).isEqualTo(run.getTraceId());
            assertThat(child.getStartEpochNanos()).as(phase.getKey()).isEqualTo(at);
            at += TimeUnit.MILLISECONDS.toNanos(phase.getValue());
            assertThat(child.getEndEpochNanos()).as(phase.getKey()).isEqualTo(at);
        }
        assertThat(run.getEndEpochNanos()).isEqualTo(at);
        assertThat(exporter.getFinishedSpanItems()).hasSize(2 + timings.size());
        assertThat(LogCorrelation.of(accepted.id()).traceId()).isEqualTo(run.getTraceId());
    }

    @Test
    void requestSpanContinuesTheCallersTraceAndARunAcceptedInItIsItsChild() {
        Map<String, String> headers = Map.of("traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01");
        HttpTracing.Request request = tracing.http().begin("POST", headers::get);
        RunState accepted = RunState.running("01a2323f-5838-7000-9e6e-ddc496dd67a7", "alpine:3", "admin", true,
                Instant.now());
        tracing.runs().accepted(accepted);
        request.end("POST", "/run", 202);
        tracing.runs().finished(finished(accepted, accepted.queuedAt(), Map.of("run", 5L)));

        SpanData http = span("POST /run");
        assertThat(http.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(http.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(http.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(http.getAttributes().get(HttpTracing.ROUTE)).isEqualTo("/run");
        assertThat(http.getAttributes().get(HttpTracing.STATUS)).isEqualTo(202L);
        SpanData run = span("light-run.run");
        assertThat(run.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(run.getParentSpanId()).isEqualTo(http.getSpanId());
        // The callback carries the run's span as its parent.
        assertThat(tracing.runs().traceparent(accepted.id()))
                .isEqualTo("00-" + CALLER_TRACE + "-" + run.getSpanId() + "-01");
    }

    @Test
    void aRunStartedByAnotherReplicaIsTheChildOfTheRequestThatSubmittedIt() {
        Map<String, String> headers = Map.of("traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01");
        // Replica a: the request's thread hands its trace to the run it queues.
        HttpTracing.Request request = tracing.http().begin("POST", headers::get);
        String handedOver = tracing.runs().traceparent();
        request.end("POST", "/run", 200);
        assertThat(tracing.runs().traceparent()).as("outside a request").isNull();
        // Replica b (here the same tracer): it claims the run and begins its span with that parent.
        RunState claimed = RunState.running("01a2323f-5838-7000-9e6e-ddc496dd67a8", "alpine:3", "admin", true,
                Instant.now());
        tracing.runs().accepted(claimed, handedOver);
        tracing.runs().finished(finished(claimed, claimed.queuedAt(), Map.of("run", 5L)));

        SpanData http = span("POST /run");
        SpanData run = span("light-run.run");
        assertThat(handedOver).isEqualTo("00-" + CALLER_TRACE + "-" + http.getSpanId() + "-01");
        assertThat(run.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(run.getParentSpanId()).isEqualTo(http.getSpanId());
    }

    @Test
    void aMalformedOrMissingHandedOverParentStartsARootSpan() {
        for (String parent : new String[] {null, "garbage", "00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-01"}) {
            exporter.reset();
            RunState claimed = RunState.running("01a2323f-5838-7000-9e6e-ddc496dd67a9", "alpine:3", "admin", true,
                    Instant.now());
            tracing.runs().accepted(claimed, parent);
            tracing.runs().finished(finished(claimed, claimed.queuedAt(), Map.of("run", 5L)));

            assertThat(span("light-run.run").getParentSpanContext().isValid()).as(String.valueOf(parent)).isFalse();
        }
    }

    @Test
    void requestWithoutTraceparentStartsATraceAndUnknownRunsHaveNoTraceparent() {
        HttpTracing.Request request = tracing.http().begin("GET", name -> null);
        request.end("GET", null, 404);
        SpanData http = span("GET NOT_FOUND");
        assertThat(http.getParentSpanContext().isValid()).isFalse();
        assertThat(tracing.runs().traceparent("01a2323f-5838-7000-9e6e-000000000000")).isNull();
    }

    @Test
    void tracingIsOffUnlessAnExporterIsNamed() {
        assertThat(Tracing.fromEnvironment(Map.of(), name -> null)).isEmpty();
        assertThat(Tracing.fromEnvironment(Map.of("OTEL_TRACES_EXPORTER", "none"), name -> null)).isEmpty();
        assertThat(Tracing.fromEnvironment(Map.of("OTEL_TRACES_EXPORTER", " "), name -> null)).isEmpty();
        assertThat(Tracing.enabled("otlp")).isTrue();
        assertThat(Optional.of(Tracing.enabled("NONE"))).contains(false);
    }

    private static long toNanos(Instant instant) {
        return TimeUnit.SECONDS.toNanos(instant.getEpochSecond()) + instant.getNano();
    }
}
