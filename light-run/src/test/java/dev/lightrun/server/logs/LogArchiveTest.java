package dev.lightrun.server.logs;

import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import dev.lightrun.server.http.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** A finished run's log copied to a {@link LogArchive} and read from it by a server that does not have it on disk. */
class LogArchiveTest {
    @TempDir
    Path dir;

    @Test
    void aFinishedLogIsArchivedAndAnotherServerReadsItFromTheArchive() throws Exception {
        MemoryArchive archive = new MemoryArchive();
        RunLogs here = new RunLogs(dir.resolve("here"), 1024 * 1024, Json.MAPPER, archive);
        LogSink sink = here.writerFor("run-1");
        sink.accept(LogStream.STDOUT, "one\ntwo\n".getBytes(StandardCharsets.UTF_8));
        sink.accept(LogStream.STDERR, "oops\n".getBytes(StandardCharsets.UTF_8));
        sink.close();

        here.archive("run-1");

        assertThat(archive.runs).containsOnlyKeys("run-1");
        RunLogs elsewhere = new RunLogs(dir.resolve("elsewhere"), 1024 * 1024, Json.MAPPER, archive);
        assertThat(lines(elsewhere, "run-1")).containsExactly("one", "two", "oops");
        assertThat(lines(here, "run-1")).as("the local copy stays").containsExactly("one", "two", "oops");
        assertThat(elsewhere.reader("run-1", Duration.ZERO).droppedBytes()).isZero();

        elsewhere.delete("run-1");
        assertThat(archive.runs).isEmpty();
        assertThat(lines(elsewhere, "run-1")).isEmpty();
    }

    @Test
    void anOpenLogIsNotArchived() {
        MemoryArchive archive = new MemoryArchive();
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER, archive);
        LogSink sink = logs.writerFor("run-2");
        sink.accept(LogStream.STDOUT, "still running\n".getBytes(StandardCharsets.UTF_8));
        logs.archive("run-2");
        assertThat(archive.runs).isEmpty();
        sink.close();
    }

    private static List<String> lines(RunLogs logs, String runId) throws Exception {
        List<String> lines = new ArrayList<>();
        logs.reader(runId, Duration.ZERO).forEachLine(false, record -> {
            try {
                lines.add(Json.MAPPER.readTree(record).path("line").asText());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return lines;
    }

    /** Segments by run, in memory. */
    private static final class MemoryArchive implements LogArchive {
        final Map<String, TreeMap<Long, byte[]>> runs = new ConcurrentHashMap<>();

        @Override
        public void store(String runId, List<Path> segments, long droppedBytes) throws IOException {
            TreeMap<Long, byte[]> stored = new TreeMap<>();
            for (Path segment : segments) {
                stored.put(RunLogs.segmentNumber(segment), Files.readAllBytes(segment));
            }
            runs.put(runId, stored);
        }

        @Override
        public List<Long> segments(String runId) {
            return List.copyOf(runs.getOrDefault(runId, new TreeMap<>()).keySet());
        }

        @Override
        public InputStream open(String runId, long segment) {
            return new ByteArrayInputStream(runs.get(runId).get(segment));
        }

        @Override
        public long droppedBytes(String runId) {
            return 0;
        }

        @Override
        public void delete(String runId) {
            runs.remove(runId);
        }
    }
}
