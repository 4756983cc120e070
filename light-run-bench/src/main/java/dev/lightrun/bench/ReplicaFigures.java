package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/** The replicas scenario's arithmetic on run states, apart from the HTTP that fetches them. */
final class ReplicaFigures {
    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

    private ReplicaFigures() {
    }

    /**
     * How long a run waited between being accepted and being started (its state's {@code startedAt - queuedAt}, ms):
     * on a replica, the shared queue's insert, the claimer's wake-up and its claim; NaN for a run that never started.
     */
    static double claimMs(JsonNode state) {
        Instant queued = instant(state, "queuedAt");
        Instant started = instant(state, "startedAt");
        return queued == null || started == null ? Double.NaN : millis(Duration.between(queued, started));
    }

    /** Whether the run has ended (succeeded, failed or cancelled). */
    static boolean isTerminal(JsonNode state) {
        return TERMINAL.contains(state.path("status").asText());
    }

    /** The latest {@code finishedAt} of the states, or null when none has one. */
    static Instant lastFinished(Collection<JsonNode> states) {
        return states.stream().map(s -> instant(s, "finishedAt")).filter(Objects::nonNull).max(Instant::compareTo)
                .orElse(null);
    }

    /** From the first submission to the last run's end (ms): the wall time of a batch of detached runs. */
    static double wallMs(Instant firstSubmitted, Instant lastFinished) {
        return lastFinished == null ? Double.NaN : millis(Duration.between(firstSubmitted, lastFinished));
    }

    /** Runs per second over {@code wallMs}; NaN when the wall time is missing or not positive. */
    static double runsPerSecond(int runs, double wallMs) {
        return Stats.ratio(runs, wallMs / 1000.0);
    }

    /** How many of the runs each replica executed, by name ("(none)" for a run no replica took). */
    static Map<String, Integer> executedBy(Collection<JsonNode> states) {
        Map<String, Integer> spread = new TreeMap<>();
        for (JsonNode state : states) {
            String replica = state.path("replica").isTextual() ? state.path("replica").asText() : "(none)";
            spread.merge(replica, 1, Integer::sum);
        }
        return spread;
    }

    /**
     * The floor's runs per second at {@code concurrency} in the throughput scenario's section (a list of levels), or
     * NaN when that scenario did not run or not at that level.
     */
    static double floorRunsPerSecond(JsonNode throughputSection, int concurrency) {
        for (JsonNode level : throughputSection) {
            if (level.path("concurrency").asInt() == concurrency && level.path(BenchContext.FLOOR)
                    .path("runsPerSecond").isNumber()) {
                return level.path(BenchContext.FLOOR).path("runsPerSecond").asDouble();
            }
        }
        return Double.NaN;
    }

    private static Instant instant(JsonNode state, String field) {
        JsonNode value = state.path(field);
        return value.isTextual() ? Instant.parse(value.asText()) : null;
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }
}
