package dev.lightrun.server.logs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.LogSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Each run's stdout and stderr, captured to disk as they arrive: {@code <logs dir>/<run id>.<segment>.jsonl}, one
 * {@code {"t", "stream", "line"}} record per line. A run's log is capped: when a segment reaches half the cap a new
 * one starts and the one before the previous is deleted, so the end of the output is kept and what was dropped is
 * counted. With a {@link LogArchive}, a finished run's segments are also copied there, and a log that is not on this
 * disk (another server ran it) is read from there. Thread-safe.
 */
public final class RunLogs {
    private static final Logger log = LoggerFactory.getLogger(RunLogs.class);

    private final Path dir;
    private final long capBytes;
    private final ObjectMapper json;
    private final ConcurrentHashMap<String, LogWriter> writers = new ConcurrentHashMap<>();
    private final LongAdder droppedTotal = new LongAdder();
    private final LogArchive archive;

    public RunLogs(Path dir, long capBytes, ObjectMapper json) {
        this(dir, capBytes, json, LogArchive.NONE);
    }

    /** @param archive where finished logs are also kept, so that other servers serve them */
    public RunLogs(Path dir, long capBytes, ObjectMapper json, LogArchive archive) {
        try {
            this.dir = Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the logs folder " + dir, e);
        }
        this.capBytes = capBytes;
        this.json = json;
        this.archive = archive;
    }

    /**
     * Copies a finished run's log to the archive (nothing without one); its local copy stays and is what this server
     * reads. Called before the run's final state is stored, so a server that reads the state finds the log. A failure
     * is logged: the log is then only here.
     */
    public void archive(String runId) {
        if (archive == LogArchive.NONE) {
            return;
        }
        Optional<LogWriter> writer = liveWriter(runId);
        if (writer.isPresent() && !writer.get().isClosed()) {
            log.warn("run {} - its log is still open; not archived", runId);
            return;
        }
        List<Path> segments = segments(runId);
        if (segments.isEmpty()) {
            return;
        }
        try {
            archive.store(runId, segments, droppedBytes(runId));
        } catch (IOException | RuntimeException e) {
            log.error("run {} - its log could not be archived: {}", runId, e.getMessage(), e);
        }
    }

    LogArchive archiveStore() {
        return archive;
    }

    /**
     * A sink that writes the run's log; any log already on disk for the run is discarded first (a re-attached run
     * replays its output from the start).
     */
    public LogSink writerFor(String runId) {
        deleteFiles(runId);
        LogWriter writer = new LogWriter(dir, runId, capBytes, json, () -> writers.remove(runId),
                droppedTotal::add);
        writers.put(runId, writer);
        return writer;
    }

    /** Reads (and with {@code follow}, keeps reading until the run's log closes) the run's records. */
    public LogReader reader(String runId, Duration followTimeout) {
        return new LogReader(this, runId, followTimeout);
    }

    Optional<LogWriter> liveWriter(String runId) {
        return Optional.ofNullable(writers.get(runId));
    }

    Path dir() {
        return dir;
    }

    ObjectMapper json() {
        return json;
    }

    /** Segment files of a run, oldest first. */
    List<Path> segments(String runId) {
        List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, runId + ".*.jsonl")) {
            files.forEach(segments::add);
        } catch (IOException e) {
            log.warn("logs - cannot list the segments of run {}: {}", runId, e.toString());
        }
        segments.sort((a, b) -> Long.compare(segmentNumber(a), segmentNumber(b)));
        return segments;
    }

    static long segmentNumber(Path segment) {
        String name = segment.getFileName().toString();
        String middle = name.substring(name.indexOf('.') + 1, name.length() - ".jsonl".length());
        try {
            return Long.parseLong(middle);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Bytes of output all runs dropped to respect the cap since this process started (for metrics). */
    public long droppedBytesTotal() {
        return droppedTotal.sum();
    }

    /** Bytes dropped to respect the cap, as recorded by the writer (or the archive, for a log not on this disk). */
    long droppedBytes(String runId) {
        LogWriter writer = writers.get(runId);
        if (writer != null) {
            return writer.droppedBytes();
        }
        Path marker = dir.resolve(runId + ".dropped");
        try {
            if (!Files.exists(marker) && archive != LogArchive.NONE && segments(runId).isEmpty()) {
                return archive.droppedBytes(runId);
            }
            return Files.exists(marker) ? Long.parseLong(Files.readString(marker).trim()) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Removes a run's log (when the run is deleted or evicted). */
    public void delete(String runId) {
        deleteLocal(runId);
        try {
            archive.delete(runId);
        } catch (IOException | RuntimeException e) {
            log.warn("logs - cannot delete the archived log of run {}: {}", runId, e.toString());
        }
    }

    /**
     * Removes this server's copy of a run's log, not the archived one (a run another replica took over writes and
     * archives its own).
     */
    public void deleteLocal(String runId) {
        LogWriter writer = writers.remove(runId);
        if (writer != null) {
            writer.close();
        }
        deleteFiles(runId);
    }

    private void deleteFiles(String runId) {
        try {
            for (Path segment : segments(runId)) {
                Files.deleteIfExists(segment);
            }
            Files.deleteIfExists(dir.resolve(runId + ".dropped"));
        } catch (IOException e) {
            log.warn("logs - cannot delete the log of run {}: {}", runId, e.toString());
        }
    }
}
