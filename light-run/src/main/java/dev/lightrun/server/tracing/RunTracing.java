package dev.lightrun.server.tracing;

import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.runs.RunEvents;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One span per run, {@value #RUN_SPAN}, from acceptance to its final state, child of whatever is current when the
 * run is accepted (the {@code POST /run} request's span, itself a child of the caller's {@code traceparent}). When it
 * finishes, a child span per phase is added from the run's {@code timings}: the phases ran one after the other from
 * the moment the run got its slot, so their start times are rebuilt in that order (plus {@code light-run.phase.queue}
 * for the time it waited). Thread-safe.
 */
public final class RunTracing implements RunEvents {
    static final String RUN_SPAN = "light-run.run";
    /** Phase spans are {@code light-run.phase.<phase>}: {@code light-run.phase.run} is the container running. */
    static final String PHASE_SPAN = "light-run.phase.";
    static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("light_run.run.id");
    static final AttributeKey<String> IMAGE = AttributeKey.stringKey("light_run.image");
    static final AttributeKey<String> OWNER = AttributeKey.stringKey("light_run.owner");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("light_run.status");
    static final AttributeKey<Long> EXIT_CODE = AttributeKey.longKey("light_run.exit_code");
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("light_run.error_code");
    static final AttributeKey<String> PHASE = AttributeKey.stringKey("light_run.phase");
    /** Runs whose span context is kept after they finish, for their callbacks' traceparent. */
    private static final int RECENT_RUNS = 10_000;

    private final Tracer tracer;
    private final ConcurrentHashMap<String, Span> live = new ConcurrentHashMap<>();
    private final ReentrantLock recentLock = new ReentrantLock();
    private final Map<String, SpanContext> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SpanContext> eldest) {
            return size() > RECENT_RUNS;
        }
    };

    RunTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    @Override
    public void accepted(RunState run) {
        begin(run, Context.current(), run.queuedAt());
    }

    /** The current span's W3C traceparent (the {@code POST /run} request's, on its thread); null outside a span. */
    @Override
    public String traceparent() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? format(context) : null;
    }

    /** A run submitted on another replica: its span is the child of that replica's request span, when it sent one. */
    @Override
    public void accepted(RunState run, String traceparent) {
        begin(run, Traceparents.parent(traceparent), run.queuedAt());
    }

    @Override
    public void reattached(RunState run) {
        // A run of the previous process: its parent trace is not known any more.
        begin(run, Context.root(), run.startedAt() != null ? run.startedAt() : run.queuedAt());
    }

    private Span begin(RunState run, Context parent, Instant start) {
        Span span = tracer.spanBuilder(RUN_SPAN).setParent(parent).setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(start)
                .setAttribute(RUN_ID, run.id())
                .setAttribute(IMAGE, String.valueOf(run.image()))
                .setAttribute(OWNER, String.valueOf(run.owner()))
                .startSpan();
        live.put(run.id(), span);
        LogCorrelation.traceId(run.id(), span.getSpanContext().getTraceId());
        return span;
    }

    @Override
    public void finished(RunState run) {
        Span span = live.remove(run.id());
        if (span == null) {
            // Queued before a restart, or lost at one: no span was started by this process.
            span = begin(run, Context.root(), run.queuedAt());
            live.remove(run.id());
        }
        Context context = Context.root().with(span);
        Instant slot = run.startedAt() != null ? run.startedAt() : run.queuedAt();
        if (slot.isAfter(run.queuedAt())) {
            child(context, PHASE_SPAN + "queue", "queue", run.queuedAt(), slot);
        }
        Instant at = slot;
        for (Map.Entry<String, Long> phase : run.timings().entrySet()) {
            Instant end = at.plus(Duration.ofMillis(phase.getValue()));
            child(context, PHASE_SPAN + phase.getKey(), phase.getKey(), at, end);
            at = end;
        }
        span.setAttribute(STATUS, run.status().json());
        if (run.exitCode() != null) {
            span.setAttribute(EXIT_CODE, run.exitCode().longValue());
        }
        if (run.errorCode() != null) {
            span.setAttribute(ERROR_CODE, run.errorCode().name());
        }
        if (run.status() == RunStatus.FAILED) {
            span.setStatus(StatusCode.ERROR, run.errorCode() == null ? "failed" : run.errorCode().name());
        }
        Instant end = run.finishedAt() != null ? run.finishedAt() : Instant.now();
        span.end(end.isBefore(at) ? at : end);
        remember(run.id(), span.getSpanContext());
    }

    private void child(Context parent, String name, String phase, Instant start, Instant end) {
        tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.INTERNAL).setStartTimestamp(start)
                .setAttribute(PHASE, phase).startSpan().end(end);
    }

    private void remember(String runId, SpanContext context) {
        recentLock.lock();
        try {
            recent.put(runId, context);
        } finally {
            recentLock.unlock();
        }
    }

    /**
     * The W3C {@code traceparent} of a run's span, for its callback: {@code 00-<trace id>-<span id>-<flags>}; null
     * for a run this process did not trace (or finished too long ago).
     */
    public String traceparent(String runId) {
        SpanContext context;
        recentLock.lock();
        try {
            context = recent.get(runId);
        } finally {
            recentLock.unlock();
        }
        if (context == null) {
            Span span = live.get(runId);
            context = span == null ? null : span.getSpanContext();
        }
        if (context == null || !context.isValid()) {
            return null;
        }
        return format(context);
    }

    private static String format(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }
}
