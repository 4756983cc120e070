package dev.lightrun.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Audit lines: their format, rotation by size, and reading them back oldest first. */
class AuditLogTest {
    @TempDir
    Path dataDir;

    private static AuditEntry entry(int second, String runId) {
        return new AuditEntry(Instant.parse("2026-12-01T10:00:00Z").plusSeconds(second), "team-a", "127.0.0.1",
                "POST", "/runs/{id}/cancel", runId, 204);
    }

    @Test
    void aLineIsOneJsonObjectOfTheServersOwnValues() throws Exception {
        try (AuditLog audit = new AuditLog(dataDir)) {
            audit.append(entry(0, "0190a0a0-0000-7000-8000-000000000000"));
            audit.append(new AuditEntry(Instant.parse("2026-12-01T10:00:01Z"), null, "127.0.0.2", "POST", "/run",
                    null, 401));
        }
        List<String> lines = Files.readAllLines(dataDir.resolve("audit.jsonl"), StandardCharsets.UTF_8);
        assertThat(lines).containsExactly(
                "{\"time\":\"2026-12-01T10:00:00Z\",\"key\":\"team-a\",\"address\":\"127.0.0.1\",\"method\":\"POST\","
                        + "\"route\":\"/runs/{id}/cancel\",\"runId\":\"0190a0a0-0000-7000-8000-000000000000\",\"status\":204}",
                "{\"time\":\"2026-12-01T10:00:01Z\",\"key\":null,\"address\":\"127.0.0.2\",\"method\":\"POST\","
                        + "\"route\":\"/run\",\"status\":401}");
    }

    @Test
    void rotatesBySizeKeepingAFewFilesAndReadsOldestFirst() throws Exception {
        int lineBytes = AuditLog.line(entry(0, null)).length;
        try (AuditLog audit = new AuditLog(dataDir, lineBytes * 3L, 2)) {
            for (int i = 0; i < 12; i++) {
                audit.append(entry(i, null));
            }
            assertThat(Files.readAllLines(dataDir.resolve("audit.jsonl"))).hasSize(3);
            assertThat(Files.readAllLines(dataDir.resolve("audit.jsonl.1"))).hasSize(3);
            assertThat(Files.readAllLines(dataDir.resolve("audit.jsonl.2"))).hasSize(3);
            assertThat(dataDir.resolve("audit.jsonl.3")).doesNotExist();

            List<AuditEntry> all = audit.read(null, 100);
            assertThat(all).extracting(e -> e.time().getEpochSecond() % 60).containsExactly(3L, 4L, 5L, 6L, 7L, 8L,
                    9L, 10L, 11L);
            assertThat(audit.read(Instant.parse("2026-12-01T10:00:07Z"), 3))
                    .extracting(e -> e.time().getEpochSecond() % 60).containsExactly(7L, 8L, 9L);
            assertThat(all.getFirst()).isEqualTo(entry(3, null));
        }
    }

    @Test
    void aTruncatedLineIsSkippedAndWritingGoesOnAfterReopening() throws Exception {
        try (AuditLog audit = new AuditLog(dataDir)) {
            audit.append(entry(0, null));
        }
        Files.writeString(dataDir.resolve("audit.jsonl"), "{\"time\":\"2026-12", java.nio.file.StandardOpenOption.APPEND);
        try (AuditLog audit = new AuditLog(dataDir)) {
            Files.writeString(dataDir.resolve("audit.jsonl"), "\n", java.nio.file.StandardOpenOption.APPEND);
            audit.append(entry(1, null));
            assertThat(audit.read(null, 10)).containsExactly(entry(0, null), entry(1, null));
        }
    }
}
