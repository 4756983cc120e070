package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The replicas scenario's figures from run states as the server writes them (ISO-8601 instants, nanoseconds kept). */
class ReplicaFiguresTest {

    private static ObjectNode state(String status, String queuedAt, String startedAt, String finishedAt,
                                    String replica) {
        ObjectNode state = Contenders.JSON.createObjectNode();
        state.put("id", "r-" + queuedAt);
        state.put("status", status);
        state.put("queuedAt", queuedAt);
        state.put("startedAt", startedAt);
        state.put("finishedAt", finishedAt);
        state.put("replica", replica);
        return state;
    }

    @Test
    void claimIsStartedAtMinusQueuedAtInMilliseconds() {
        JsonNode claimedElsewhere = state("succeeded", "2026-12-01T10:00:00.123456789Z",
                "2026-12-01T10:00:00.127956789Z", "2026-12-01T10:00:00.400Z", "bench-2");
        // The in-memory queue stamps both with the same instant when a slot is free.
        JsonNode startedAtOnce = state("succeeded", "2026-12-01T10:00:01Z", "2026-12-01T10:00:01Z",
                "2026-12-01T10:00:01.2Z", null);
        JsonNode cancelledInTheQueue = state("cancelled", "2026-12-01T10:00:02Z", null, "2026-12-01T10:00:03Z", null);

        assertThat(ReplicaFigures.claimMs(claimedElsewhere)).isCloseTo(4.5, within(1e-9));
        assertThat(ReplicaFigures.claimMs(startedAtOnce)).isZero();
        assertThat(ReplicaFigures.claimMs(cancelledInTheQueue)).isNaN();
    }

    @Test
    void onlySucceededFailedAndCancelledHaveEnded() {
        assertThat(List.of("succeeded", "failed", "cancelled", "queued", "running", ""))
                .map(status -> ReplicaFigures.isTerminal(state(status, "2026-12-01T10:00:00Z", null, null, null)))
                .containsExactly(true, true, true, false, false, false);
    }

    @Test
    void aBatchRunsFromItsFirstSubmissionToItsLastFinish() {
        List<JsonNode> states = List.of(
                state("succeeded", "2026-12-01T10:00:00.1Z", "2026-12-01T10:00:00.1Z", "2026-12-01T10:00:02.5Z", "a"),
                state("succeeded", "2026-12-01T10:00:00.2Z", "2026-12-01T10:00:00.3Z", "2026-12-01T10:00:04Z", "b"),
                state("succeeded", "2026-12-01T10:00:00.3Z", "2026-12-01T10:00:00.3Z", "2026-12-01T10:00:03Z", "a"));
        Instant firstSubmitted = Instant.parse("2026-12-01T10:00:00Z");

        Instant last = ReplicaFigures.lastFinished(states);
        double wallMs = ReplicaFigures.wallMs(firstSubmitted, last);

        assertThat(last).isEqualTo(Instant.parse("2026-12-01T10:00:04Z"));
        assertThat(wallMs).isEqualTo(4000.0);
        assertThat(ReplicaFigures.runsPerSecond(states.size(), wallMs)).isEqualTo(0.75);
        assertThat(ReplicaFigures.lastFinished(List.of())).isNull();
        assertThat(ReplicaFigures.wallMs(firstSubmitted, null)).isNaN();
        assertThat(ReplicaFigures.runsPerSecond(0, Double.NaN)).isNaN();
    }

    @Test
    void executedByCountsRunsPerReplicaByName() {
        List<JsonNode> states = List.of(
                state("succeeded", "2026-12-01T10:00:00Z", null, null, "bench-2"),
                state("succeeded", "2026-12-01T10:00:00Z", null, null, "bench-1"),
                state("succeeded", "2026-12-01T10:00:00Z", null, null, "bench-2"),
                state("succeeded", "2026-12-01T10:00:00Z", null, null, null));

        assertThat(ReplicaFigures.executedBy(states)).containsExactly(
                java.util.Map.entry("(none)", 1), java.util.Map.entry("bench-1", 1), java.util.Map.entry("bench-2", 2));
    }

    @Test
    void floorRunsPerSecondIsReadFromTheThroughputLevelOfTheSameConcurrency() throws Exception {
        JsonNode levels = Contenders.JSON.readTree("""
                [{"concurrency": 1, "floor": {"runsPerSecond": 5.1}},
                 {"concurrency": 4, "light-run": {"runsPerSecond": 8.0}, "floor": {"runsPerSecond": 9.25}},
                 {"concurrency": 8, "floor": {"runsPerSecond": null}}]""");

        assertThat(ReplicaFigures.floorRunsPerSecond(levels, 4)).isEqualTo(9.25);
        assertThat(ReplicaFigures.floorRunsPerSecond(levels, 8)).isNaN();
        assertThat(ReplicaFigures.floorRunsPerSecond(levels, 16)).isNaN();
        assertThat(ReplicaFigures.floorRunsPerSecond(Contenders.JSON.createArrayNode(), 4)).isNaN();
    }
}
