package dev.lightrun.server.metrics;

import dev.lightrun.server.callbacks.CallbackEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Callback attempts by outcome ({@code delivered}, {@code retried}, {@code gave_up}) and the callbacks still pending
 * in the outbox of this process. Thread-safe.
 */
final class CallbackMetrics implements CallbackEvents {
    private final Counter delivered;
    private final Counter retried;
    private final Counter gaveUp;
    private final ConcurrentHashMap<String, Boolean> pending = new ConcurrentHashMap<>();

    CallbackMetrics(MeterRegistry registry) {
        delivered = outcome(registry, "delivered");
        retried = outcome(registry, "retried");
        gaveUp = outcome(registry, "gave_up");
        Gauge.builder("light_run.callback.outbox.pending", pending, Map::size)
                .description("Callbacks due and not yet delivered nor given up").register(registry);
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("light_run.callbacks").description("Callback attempts by outcome")
                .tag("outcome", outcome).register(registry);
    }

    @Override
    public void pending(String runId) {
        pending.put(runId, Boolean.TRUE);
    }

    @Override
    public void delivered(String runId, int attempt) {
        pending.remove(runId);
        delivered.increment();
    }

    @Override
    public void retried(String runId, int attempt, int status) {
        retried.increment();
    }

    @Override
    public void gaveUp(String runId, int attempt, int status) {
        pending.remove(runId);
        gaveUp.increment();
    }
}
