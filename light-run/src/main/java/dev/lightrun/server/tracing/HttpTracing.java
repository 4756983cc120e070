package dev.lightrun.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import org.slf4j.MDC;

import java.util.List;
import java.util.function.Function;

/**
 * A server span per HTTP request, child of the caller's W3C {@code traceparent} when it sends one. The span is
 * current on the request's thread while its handler runs, so a run accepted there becomes its child; its name is
 * {@code METHOD route-template}, known once the request has been routed. The trace id is in the MDC
 * ({@value #MDC_TRACE_ID}) meanwhile, for the log lines of the request.
 */
public final class HttpTracing {
    public static final String MDC_TRACE_ID = "trace_id";
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    HttpTracing(Tracer tracer, TextMapPropagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** A request in flight: its span, current on the thread that began it until {@link #end}. */
    public static final class Request {
        private final Span span;
        private final Scope scope;
        private final Thread thread;

        private Request(Span span, Scope scope) {
            this.span = span;
            this.scope = scope;
            this.thread = Thread.currentThread();
        }

        /** Names the span after the route that matched (null: none), records the status, and ends it. */
        public void end(String method, String route, int status) {
            span.updateName(method + " " + (route == null ? "NOT_FOUND" : route));
            if (route != null) {
                span.setAttribute(ROUTE, route);
            }
            span.setAttribute(STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            // Only the thread that made the span current may close its scope; another thread's context is not ours.
            if (Thread.currentThread() == thread) {
                scope.close();
                MDC.remove(MDC_TRACE_ID);
            }
            span.end();
        }
    }

    /** Starts the span of a request ({@code header} reads a request header by name), current on this thread. */
    public Request begin(String method, Function<String, String> header) {
        Context parent = propagator.extract(Context.root(), header, GETTER);
        Span span = tracer.spanBuilder(method).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, method).startSpan();
        MDC.put(MDC_TRACE_ID, span.getSpanContext().getTraceId());
        return new Request(span, span.makeCurrent());
    }

    private static final TextMapGetter<Function<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return List.of();
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };
}
