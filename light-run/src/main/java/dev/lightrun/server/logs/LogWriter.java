package dev.lightrun.server.logs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Splits a run's raw output into lines and appends them as JSON records to the current segment; rolls to a new
 * segment at half the cap and deletes the one before the previous, counting what it drops. Followers wait on
 * {@link #awaitChange}. One writer per run; called from the run's log thread.
 */
final class LogWriter implements LogSink {
    private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
    /** A line longer than this is written in pieces, so one endless line cannot grow a buffer without bound. */
    private static final int MAX_LINE_BYTES = 16 * 1024;

    private final Path dir;
    private final String runId;
    private final long segmentCap;
    private final ObjectMapper json;
    private final Runnable onClose;
    private final LongConsumer onDropped;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ByteArrayOutputStream stdoutLine = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderrLine = new ByteArrayOutputStream();
    private long segment;
    private long segmentBytes;
    private long droppedBytes;
    private OutputStream out;
    private volatile boolean closed;
    private boolean failed;

    LogWriter(Path dir, String runId, long capBytes, ObjectMapper json, Runnable onClose) {
        this(dir, runId, capBytes, json, onClose, bytes -> { });
    }

    /** With {@code onDropped} told of every segment's bytes dropped to respect the cap. */
    LogWriter(Path dir, String runId, long capBytes, ObjectMapper json, Runnable onClose, LongConsumer onDropped) {
        this.onDropped = onDropped;
        this.dir = dir;
        this.runId = runId;
        this.segmentCap = Math.max(1024, capBytes / 2);
        this.json = json;
        this.onClose = onClose;
    }

    @Override
    public void accept(LogStream stream, byte[] chunk) {
        lock.lock();
        try {
            ByteArrayOutputStream line = stream == LogStream.STDERR ? stderrLine : stdoutLine;
            for (byte b : chunk) {
                if (b == '\n') {
                    emit(stream, line);
                } else {
                    line.write(b);
                    if (line.size() >= MAX_LINE_BYTES) {
                        emit(stream, line);
                    }
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void emit(LogStream stream, ByteArrayOutputStream line) {
        LogRecord record = new LogRecord(Instant.now(), stream == LogStream.STDERR ? "stderr" : "stdout",
                line.toString(StandardCharsets.UTF_8));
        line.reset();
        if (failed) {
            return;
        }
        try {
            byte[] bytes = json.writeValueAsBytes(record);
            if (out == null || segmentBytes + bytes.length + 1 > segmentCap) {
                roll();
            }
            out.write(bytes);
            out.write('\n');
            segmentBytes += bytes.length + 1;
        } catch (IOException e) {
            failed = true;
            log.warn("run {} - log capture stopped: {}", runId, e.toString());
        }
    }

    /** Starts the next segment; keeps this one and the previous, deletes older ones and counts them as dropped. */
    private void roll() throws IOException {
        if (out != null) {
            out.close();
        }
        segment++;
        Path older = dir.resolve(runId + "." + (segment - 2) + ".jsonl");
        if (Files.exists(older)) {
            long size = Files.size(older);
            droppedBytes += size;
            onDropped.accept(size);
            Files.delete(older);
        }
        out = Files.newOutputStream(dir.resolve(runId + "." + segment + ".jsonl"), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        segmentBytes = 0;
    }

    long droppedBytes() {
        lock.lock();
        try {
            return droppedBytes;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Waits until more output arrives or the log closes, at most {@code millis}. */
    void awaitChange(long millis) throws InterruptedException {
        lock.lock();
        try {
            if (!closed) {
                changed.await(millis, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Flushes the last partial lines and closes the segment; called when the run's output has ended. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (stdoutLine.size() > 0) {
                emit(LogStream.STDOUT, stdoutLine);
            }
            if (stderrLine.size() > 0) {
                emit(LogStream.STDERR, stderrLine);
            }
            if (out != null) {
                out.close();
            }
            if (droppedBytes > 0) {
                Files.writeString(dir.resolve(runId + ".dropped"), Long.toString(droppedBytes));
            }
        } catch (IOException e) {
            log.warn("run {} - closing its log failed: {}", runId, e.toString());
        } finally {
            closed = true;
            changed.signalAll();
            lock.unlock();
            onClose.run();
        }
    }
}
