package dev.lightrun.server.callbacks;

/**
 * What happens to callback deliveries, as the {@link CallbackOutbox} reports it (for metrics), and the trace context a
 * run's callback carries. Every method has a no-op default. Called on delivery threads: quick, non-blocking, never
 * throwing.
 */
public interface CallbackEvents {
    /** Listens to nothing and adds no trace context. */
    CallbackEvents NONE = new CallbackEvents() {
    };

    /**
     * A run's callback is due (a finished run's, or one left pending by the previous process); it stays pending until
     * {@link #delivered} or {@link #gaveUp}.
     */
    default void pending(String runId) {
    }

    /** Attempt {@code attempt} got a 2xx. */
    default void delivered(String runId, int attempt) {
    }

    /** Attempt {@code attempt} failed ({@code status} -1: no answer) and another one is scheduled. */
    default void retried(String runId, int attempt, int status) {
    }

    /** No more attempts: a 4xx, a refused URL, or the attempts are used up ({@code status} -1: no answer). */
    default void gaveUp(String runId, int attempt, int status) {
    }

    /** The W3C {@code traceparent} the run's callback carries, or null for none (tracing off, or not known). */
    default String traceparent(String runId) {
        return null;
    }
}
