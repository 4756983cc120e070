package dev.lightrun.server.runs;

import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunState;
import dev.lightrun.runner.RunResult;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Turns the SDK's {@link RunResult} into the API's final {@link RunState}. */
final class RunStates {
    private RunStates() {
    }

    static RunState finished(RunState accepted, RunResult result) {
        RunStatus status = switch (result.status()) {
            case SUCCEEDED -> RunStatus.SUCCEEDED;
            case CANCELLED -> RunStatus.CANCELLED;
            // The original light-run reports a timeout as a failed run whose error says so.
            case FAILED, TIMED_OUT -> RunStatus.FAILED;
        };
        Map<String, Long> timings = new LinkedHashMap<>();
        for (Map.Entry<String, Duration> phase : result.timings().entrySet()) {
            timings.put(phase.getKey(), phase.getValue().toMillis());
        }
        return new RunState(accepted.id(), status, accepted.image(), accepted.owner(), accepted.detached(), accepted.queuedAt(),
                accepted.startedAt(),
                result.finishedAt(), result.exitCode(), result.duration().toMillis(), result.timedOut(),
                result.oomKilled(),
                result.entries().stream()
                        .map(e -> new RunState.Artifact(e.path(), e.bytes(), e.type().name().toLowerCase(Locale.ROOT)))
                        .toList(),
                result.error() == null ? null : result.error().message(),
                result.error() == null ? null : RunErrorCode.of(result.error().code()),
                new RunState.Logs(result.stdout(), result.stderr(), result.stdoutTruncated(), result.stderrTruncated()),
                timings, null, result.start().name().toLowerCase(Locale.ROOT), accepted.replica());
    }
}
