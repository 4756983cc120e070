package dev.lightrun.server.tracing;

import dev.lightrun.server.model.RunState;
import dev.lightrun.server.runs.RunEvents;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a log line about a run can say besides its id: the run's owner and, with tracing on, its trace id. The JSON
 * log layout reads it for lines naming a run ({@code run <id> - ...}, {@code ... run=<id>}); {@link #EVENTS} fills it.
 * Process-wide (the log layout is made by logback, not by the server), bounded to the most recent
 * {@value #MAX_RUNS} runs. Thread-safe; never blocks on I/O.
 */
public final class LogCorrelation {
    /** The owner and trace id of one run (either may be null). */
    public record Entry(String owner, String traceId) {
    }

    private static final int MAX_RUNS = 10_000;
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Map<String, Entry> RUNS = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, LogCorrelation.Entry> eldest) {
            return size() > MAX_RUNS;
        }
    };

    /** Records each run's owner when it is accepted (or re-attached, or put back in line at start-up). */
    public static final RunEvents EVENTS = new RunEvents() {
        @Override
        public void accepted(RunState run) {
            owner(run);
        }

        @Override
        public void queued(RunState run) {
            owner(run);
        }

        @Override
        public void reattached(RunState run) {
            owner(run);
        }
    };

    private LogCorrelation() {
    }

    private static void owner(RunState run) {
        if (run.owner() != null) {
            update(run.id(), new Entry(run.owner(), null));
        }
    }

    /** The run's trace id (its spans' trace), once tracing has started its span. */
    static void traceId(String runId, String traceId) {
        update(runId, new Entry(null, traceId));
    }

    private static void update(String runId, Entry more) {
        LOCK.lock();
        try {
            Entry old = RUNS.get(runId);
            RUNS.put(runId, old == null ? more : new Entry(more.owner() != null ? more.owner() : old.owner(),
                    more.traceId() != null ? more.traceId() : old.traceId()));
        } finally {
            LOCK.unlock();
        }
    }

    /** What is known of a run; null when nothing is. */
    public static Entry of(String runId) {
        LOCK.lock();
        try {
            return RUNS.get(runId);
        } finally {
            LOCK.unlock();
        }
    }
}
