package dev.lightrun.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code http_server_requests_seconds{method, route, status}}: the route is the template a request matched
 * ({@code /runs/{id}}), never its path, so the series stay bounded by the routes times the statuses. Thread-safe.
 */
public final class HttpMetrics {
    /** The route label of a request that matched no route. */
    public static final String UNMATCHED = "NOT_FOUND";

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One request: its method, the route template it matched (null: none), its status and how long it took. */
    public void record(String method, String route, int status, long nanos) {
        String template = route == null ? UNMATCHED : route;
        timers.computeIfAbsent(method + ' ' + template + ' ' + status, key -> Timer.builder("http.server.requests")
                .description("HTTP requests by route template and status")
                .tags("method", method, "route", template, "status", Integer.toString(status))
                .serviceLevelObjectives(RunMetrics.BUCKETS).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
