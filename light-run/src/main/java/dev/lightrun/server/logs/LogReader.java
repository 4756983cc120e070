package dev.lightrun.server.logs;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads a run's log records in order, segment by segment, streaming (never the whole log in memory). With follow, it
 * keeps reading as the writer appends, until the writer closes or the follow timeout passes.
 */
public final class LogReader {
    private final RunLogs logs;
    private final String runId;
    private final Duration followTimeout;

    LogReader(RunLogs logs, String runId, Duration followTimeout) {
        this.logs = logs;
        this.runId = runId;
        this.followTimeout = followTimeout;
    }

    /** Bytes of earlier output dropped to respect the cap (so far). */
    public long droppedBytes() {
        return logs.droppedBytes(runId);
    }

    /**
     * Passes each raw JSON record line to {@code sink}, in order. With {@code follow}, returns once the run's log has
     * closed (or the follow timeout passed) and everything written was passed on.
     *
     * @return true when the whole log was read (it was complete), false when a follow stopped at its timeout
     */
    public boolean forEachLine(boolean follow, Consumer<String> sink) throws IOException, InterruptedException {
        if (logs.liveWriter(runId).isEmpty() && logs.segments(runId).isEmpty()) {
            // Not on this disk: a finished run another server ran, whose log is in the archive (if anywhere).
            LogArchive archive = logs.archiveStore();
            for (long segment : archive.segments(runId)) {
                try (InputStream in = archive.open(runId, segment)) {
                    readLines(in, sink);
                }
            }
            return true;
        }
        long nextSegment = 0;
        long offset = 0;
        long deadline = System.nanoTime() + followTimeout.toNanos();
        while (true) {
            Optional<LogWriter> writer = logs.liveWriter(runId);
            // Decided before reading: if the log was complete then, this pass reads all of it.
            boolean complete = !follow || writer.isEmpty() || writer.get().isClosed();
            boolean progressed = false;
            for (Path segment : logs.segments(runId)) {
                long number = RunLogs.segmentNumber(segment);
                if (number < nextSegment) {
                    continue;
                }
                if (number > nextSegment) {
                    offset = 0;
                }
                long read = readFrom(segment, offset, sink);
                if (read >= 0) {
                    // A segment that disappeared under us (read < 0) was dropped by the cap: skip it.
                    progressed |= read > 0;
                    nextSegment = number;
                    offset += read;
                }
            }
            if (complete) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            if (!progressed) {
                writer.get().awaitChange(500);
            }
        }
    }

    /** Passes complete lines from {@code offset} on; returns the bytes consumed, or -1 if the segment is gone. */
    private static long readFrom(Path segment, long offset, Consumer<String> sink) throws IOException {
        try (InputStream in = Files.newInputStream(segment)) {
            in.skipNBytes(offset);
            return readLines(in, sink);
        } catch (NoSuchFileException | EOFException gone) {
            return -1;
        }
    }

    /** Passes each complete line of the stream on; returns the bytes consumed (a partial last line is not). */
    private static long readLines(InputStream in, Consumer<String> sink) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        long consumed = 0;
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = reader.read()) >= 0) {
            if (c == '\n') {
                String text = line.toString();
                consumed += text.getBytes(StandardCharsets.UTF_8).length + 1;
                sink.accept(text);
                line.setLength(0);
            } else {
                line.append((char) c);
            }
        }
        // A trailing partial record is still being written: leave it for the next pass.
        return consumed;
    }
}
