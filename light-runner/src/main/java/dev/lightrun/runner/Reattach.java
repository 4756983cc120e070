package dev.lightrun.runner;

import java.time.Instant;
import java.util.Objects;

/**
 * How to pick up a run that an earlier process started (e.g. before a restart): the container is found by its run-id
 * label; a running one is followed to its end, an exited one is finished from its exit code; either way its logs are
 * read back from the engine, its files extracted and the container removed.
 *
 * @param runId       the run's id (as given in {@link RunSpec#runId()})
 * @param deadline    when the run's timeout expires; a run past it is killed at once and ends {@link RunStatus#TIMED_OUT}
 * @param extraction  what to copy out, or null
 * @param logSink     receives the run's whole output (replayed from the start)
 * @param logCapBytes how much of each stream's end the result keeps
 */
public record Reattach(String runId, Instant deadline, Extraction extraction, LogSink logSink, long logCapBytes) {
    public Reattach {
        Objects.requireNonNull(runId, "runId was not specified");
        Objects.requireNonNull(deadline, "deadline was not specified");
        logSink = logSink == null ? LogSink.NONE : logSink;
        if (logCapBytes < 0) {
            throw new IllegalArgumentException("logCapBytes must be >= 0");
        }
    }
}
