package dev.lightrun.runner;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one run.
 *
 * @param runId           the run's id
 * @param status          how it ended (exactly one, even under races)
 * @param exitCode        the container's exit code; null when it never ran to an exit (e.g. image not found)
 * @param timedOut        killed because of its timeout
 * @param oomKilled       killed by the kernel for exceeding its memory limit
 * @param startedAt       when the container started (null if it never started)
 * @param finishedAt      when the run ended (always set)
 * @param duration        container start to exit (zero if it never started)
 * @param stdout          the end of standard output, at most {@code logCapBytes}, decoded as UTF-8
 * @param stderr          the end of standard error, likewise
 * @param stdoutTruncated true when earlier stdout was dropped to respect the cap
 * @param stderrTruncated likewise for stderr
 * @param entries         extracted files and folders (empty when nothing was extracted)
 * @param missingPaths    requested extract paths that did not exist in the container
 * @param skipped         archive entries deliberately not written (links, devices, unsafe names)
 * @param error           why it did not succeed; null on success
 * @param timings         time spent in each phase, in order (image, create, upload, attach, start, run, extract, remove;
 *                        for a warm start: claim, run, extract)
 * @param start           whether its container was created for it or taken from a warm pool
 */
public record RunResult(String runId, RunStatus status, Integer exitCode, boolean timedOut, boolean oomKilled,
                        Instant startedAt, Instant finishedAt, Duration duration, String stdout, String stderr,
                        boolean stdoutTruncated, boolean stderrTruncated, List<ExtractedEntry> entries,
                        List<String> missingPaths, List<SkippedEntry> skipped, RunError error,
                        Map<String, Duration> timings, StartKind start) {
    public RunResult {
        start = Objects.requireNonNullElse(start, StartKind.COLD);
        Objects.requireNonNull(runId, "runId was not specified");
        Objects.requireNonNull(status, "status was not specified");
        Objects.requireNonNull(finishedAt, "finishedAt was not specified");
        Objects.requireNonNull(duration, "duration was not specified");
        stdout = Objects.requireNonNullElse(stdout, "");
        stderr = Objects.requireNonNullElse(stderr, "");
        entries = List.copyOf(entries);
        missingPaths = List.copyOf(missingPaths);
        skipped = List.copyOf(skipped);
        // Keep the phase order for readers; Map.copyOf would scramble it.
        timings = Collections.unmodifiableMap(new LinkedHashMap<>(timings));
        if (status == RunStatus.SUCCEEDED && error != null) {
            throw new IllegalArgumentException("a succeeded run has no error");
        }
        if (status != RunStatus.SUCCEEDED && error == null) {
            throw new IllegalArgumentException("a " + status + " run needs an error saying why");
        }
    }

    /** A cold-started run's result (the shape before warm pools). */
    public RunResult(String runId, RunStatus status, Integer exitCode, boolean timedOut, boolean oomKilled,
                     Instant startedAt, Instant finishedAt, Duration duration, String stdout, String stderr,
                     boolean stdoutTruncated, boolean stderrTruncated, List<ExtractedEntry> entries,
                     List<String> missingPaths, List<SkippedEntry> skipped, RunError error,
                     Map<String, Duration> timings) {
        this(runId, status, exitCode, timedOut, oomKilled, startedAt, finishedAt, duration, stdout, stderr,
                stdoutTruncated, stderrTruncated, entries, missingPaths, skipped, error, timings, StartKind.COLD);
    }

    public boolean succeeded() {
        return status == RunStatus.SUCCEEDED;
    }
}
