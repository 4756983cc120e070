package dev.lightrun.server.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a W3C {@code traceparent} back into a parent context (what a run handed to another replica carries). */
final class Traceparents {
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    private Traceparents() {
    }

    /** The remote parent {@code traceparent} names; the root context when it is null or malformed. */
    static Context parent(String traceparent) {
        if (traceparent == null) {
            return Context.root();
        }
        Matcher matcher = TRACEPARENT.matcher(traceparent);
        if (!matcher.matches()) {
            return Context.root();
        }
        SpanContext remote = SpanContext.createFromRemoteParent(matcher.group(1), matcher.group(2),
                TraceFlags.fromHex(matcher.group(3), 0), TraceState.getDefault());
        return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
    }
}
