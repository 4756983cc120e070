package dev.lightrun.server.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import dev.lightrun.server.http.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A run's log as written by {@link LogWriter} and read back through {@link RunLogs}: lines, streams and the cap. */
class LogWriterTest {
    /**
     * Instants as epoch milliseconds: every record of the same line length then has the same size, so the bytes the
     * cap drops can be computed exactly. (The server's mapper writes ISO instants, whose length varies.)
     */
    private static final ObjectMapper FIXED_WIDTH = JsonMapper.builder().addModule(new JavaTimeModule())
            .enable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DATE_TIMESTAMPS_AS_NANOSECONDS).build();

    @TempDir
    Path dir;

    private static void write(LogSink sink, LogStream stream, String text) {
        sink.accept(stream, text.getBytes(StandardCharsets.UTF_8));
    }

    private static List<JsonNode> read(RunLogs logs, String runId, ObjectMapper json) throws Exception {
        List<JsonNode> records = new ArrayList<>();
        logs.reader(runId, Duration.ZERO).forEachLine(false, line -> {
            try {
                records.add(json.readTree(line));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return records;
    }

    private static List<String> lines(List<JsonNode> records) {
        return records.stream().map(r -> r.get("line").asText()).toList();
    }

    @Test
    void chunksAreSplitIntoLinesPerStream() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink sink = logs.writerFor("run-1");

        write(sink, LogStream.STDOUT, "hel");
        write(sink, LogStream.STDERR, "warn");
        write(sink, LogStream.STDOUT, "lo\nwor");
        write(sink, LogStream.STDERR, "ing\n");
        write(sink, LogStream.STDOUT, "ld\n\n");
        sink.close();

        List<JsonNode> records = read(logs, "run-1", Json.MAPPER);
        assertThat(records).extracting(r -> r.get("stream").asText() + ":" + r.get("line").asText())
                .containsExactly("stdout:hello", "stderr:warning", "stdout:world", "stdout:");
        assertThat(Instant.parse(records.getFirst().get("t").asText())).isNotNull();
    }

    @Test
    void aPartialLastLineIsWrittenAtClose() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink sink = logs.writerFor("run-1");

        write(sink, LogStream.STDOUT, "no newline at the end");
        sink.close();

        assertThat(lines(read(logs, "run-1", Json.MAPPER))).containsExactly("no newline at the end");
    }

    @Test
    void anEndlessLineIsWrittenInPiecesOf16KiB() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink sink = logs.writerFor("run-1");

        write(sink, LogStream.STDOUT, "x".repeat(40 * 1024));
        sink.close();

        assertThat(lines(read(logs, "run-1", Json.MAPPER))).extracting(String::length)
                .containsExactly(16 * 1024, 16 * 1024, 8 * 1024);
    }

    @Test
    void underTheCapNothingIsDropped() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink sink = logs.writerFor("run-1");
        for (int i = 0; i < 100; i++) {
            write(sink, LogStream.STDOUT, "line " + i + "\n");
        }
        sink.close();

        assertThat(read(logs, "run-1", Json.MAPPER)).hasSize(100);
        assertThat(logs.reader("run-1", Duration.ZERO).droppedBytes()).isZero();
        assertThat(dir.resolve("run-1.dropped")).doesNotExist();
    }

    @Test
    void pastTheCapTheEndIsKeptAndDroppedBytesAreCounted() throws Exception {
        long cap = 4096;
        RunLogs logs = new RunLogs(dir, cap, FIXED_WIDTH);
        LogSink sink = logs.writerFor("run-1");
        int written = 500;
        for (int i = 1; i <= written; i++) {
            write(sink, LogStream.STDOUT, String.format("line-%05d%n", i));
        }
        long recordBytes = FIXED_WIDTH.writeValueAsBytes(new LogRecord(Instant.now(), "stdout", "line-00001")).length + 1;

        List<String> kept = lines(read(logs, "run-1", FIXED_WIDTH));
        long droppedWhileLive = logs.reader("run-1", Duration.ZERO).droppedBytes();
        sink.close();

        // The end survives, without a gap: the last kept line is the last written, and lines before it all follow.
        assertThat(kept).isNotEmpty().last().isEqualTo("line-00500");
        int firstKept = Integer.parseInt(kept.getFirst().substring("line-".length()));
        assertThat(kept).isEqualTo(IntStream.rangeClosed(firstKept, written).mapToObj(i -> String.format("line-%05d", i))
                .toList());
        // At most two segments of half the cap each are kept; everything before was dropped and counted, to the byte.
        assertThat((long) kept.size() * recordBytes).isLessThanOrEqualTo(cap);
        long expectedDropped = (firstKept - 1) * recordBytes;
        assertThat(expectedDropped).isPositive();
        assertThat(droppedWhileLive).isEqualTo(expectedDropped);
        assertThat(logs.reader("run-1", Duration.ZERO).droppedBytes()).isEqualTo(expectedDropped);
        assertThat(Files.readString(dir.resolve("run-1.dropped"))).isEqualTo(Long.toString(expectedDropped));
        assertThat(logs.segments("run-1")).hasSize(2);
    }

    @Test
    void aNewWriterForTheSameRunStartsTheLogAfresh() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink first = logs.writerFor("run-1");
        write(first, LogStream.STDOUT, "before the restart\n");
        first.close();

        // A re-attached run replays its whole output: the old copy must not be kept twice.
        LogSink second = logs.writerFor("run-1");
        write(second, LogStream.STDOUT, "replayed\n");
        second.close();

        assertThat(lines(read(logs, "run-1", Json.MAPPER))).containsExactly("replayed");
    }

    @Test
    void deleteRemovesEverySegmentAndTheDroppedMarker() throws Exception {
        RunLogs logs = new RunLogs(dir, 2048, FIXED_WIDTH);
        LogSink sink = logs.writerFor("run-1");
        for (int i = 0; i < 200; i++) {
            write(sink, LogStream.STDERR, "line " + i + "\n");
        }
        sink.close();
        assertThat(dir.resolve("run-1.dropped")).exists();

        logs.delete("run-1");

        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
        assertThat(read(logs, "run-1", FIXED_WIDTH)).isEmpty();
    }

    @Test
    void closeIsIdempotent() throws Exception {
        RunLogs logs = new RunLogs(dir, 1024 * 1024, Json.MAPPER);
        LogSink sink = logs.writerFor("run-1");
        write(sink, LogStream.STDOUT, "once");
        sink.close();
        sink.close();

        assertThat(lines(read(logs, "run-1", Json.MAPPER))).containsExactly("once");
    }
}
