package dev.lightrun.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.lightrun.bench.Figures.map;
import static org.assertj.core.api.Assertions.assertThat;

/** The replicas section of the terminal table, from the tree the JSON file gets. */
class ReportTest {

    private static String printed(Map<String, Object> results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Report(new PrintStream(bytes, true, StandardCharsets.UTF_8)).print(Contenders.JSON.valueToTree(results));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aSkippedReplicasScenarioSaysWhy() {
        String out = printed(map(ReplicasScenario.SECTION, map("skipped", "no PostgreSQL URL")));

        assertThat(out).contains("7. Replicas on one PostgreSQL store: skipped, no PostgreSQL URL");
    }

    @Test
    void theReplicasFiguresArePrinted() {
        Map<String, Object> claim = map("contenders", map(
                        ReplicasScenario.REPLICA, map("claimMs", map("n", 5, "p50", 3.2, "p99", 7.9),
                                "syncRunMs", map("n", 5, "p50", 180.0, "p99", 240.5)),
                        ReplicasScenario.SQLITE, map("claimMs", map("n", 5, "p50", 0.0, "p99", 0.0),
                                "syncRunMs", map("n", 5, "p50", 170.0, "p99", 230.0))),
                "difference 1 replica - SQLite server (ms)", map("claim p50", 3.2, "claim p99", 7.9,
                        "sync run p50", 10.0, "sync run p99", 10.5));
        Map<String, Object> throughput = map("clientThreads", 4,
                "1 replica", map("totalSlots", 4, "submitted", 16, "succeeded", 16, "runsPerSecond", 7.5,
                        "executedBy", map("bench-1", 16), "floorRunsPerSecondAtSameConcurrency", 9.3),
                "2 replicas", map("totalSlots", 8, "submitted", 16, "succeeded", 16, "runsPerSecond", 8.25,
                        "executedBy", map("bench-1", 9, "bench-2", 7), "floorRunsPerSecondAtSameConcurrency", null),
                "ratio 2 replicas / 1 replica", 1.1, "ratio 1 replica / floor", 0.806, "ratio 2 replicas / floor", null);

        String out = printed(map(ReplicasScenario.SECTION, map("store", "jdbc:postgresql://127.0.0.1:55432/lightrun",
                "slotsPerReplica", 4, "claim", claim, "throughput", throughput)));

        List<String> lines = out.lines().map(String::strip).toList();
        assertThat(lines).contains(
                "7. Replicas on one PostgreSQL store (jdbc:postgresql://127.0.0.1:55432/lightrun, 4 slots each, a schema"
                        + " of their own per measurement)",
                "1 replica         5        3.2        7.9         180.0         240.5",
                "SQLite server     5        0.0        0.0         170.0         230.0",
                "difference 1 replica - SQLite server (ms): claim p50 +3.2, p99 +7.9; sync run p50 +10.0, p99 +10.5",
                "1 replica  ( 4 slots)     7.50 runs/s  (16/16 succeeded, executed by {\"bench-1\":16}); floor at c=4:"
                        + " 9.30 runs/s",
                "2 replicas ( 8 slots)     8.25 runs/s  (16/16 succeeded, executed by {\"bench-1\":9,\"bench-2\":7});"
                        + " floor at c=8: - runs/s",
                "2 replicas / 1 replica 1.10x; 1 replica / floor 0.81x; 2 replicas / floor -x");
    }
}
