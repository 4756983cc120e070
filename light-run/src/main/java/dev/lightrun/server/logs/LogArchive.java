package dev.lightrun.server.logs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where finished runs' logs are kept besides this server's disk, so that any server sharing it serves them (an S3
 * bucket: {@code dev.lightrun.server.artifacts.s3.S3LogArchive}). {@link #NONE} keeps them on disk only. Thread-safe.
 */
public interface LogArchive {

    /** Stores a finished run's segments (oldest first, as {@code <n>.jsonl}) and the bytes its cap dropped. */
    void store(String runId, List<Path> segments, long droppedBytes) throws IOException;

    /** The segment numbers archived for a run, oldest first; empty when none. */
    List<Long> segments(String runId) throws IOException;

    /** One archived segment's records, streamed. */
    InputStream open(String runId, long segment) throws IOException;

    long droppedBytes(String runId) throws IOException;

    /** Removes a run's archived log; none is fine. */
    void delete(String runId) throws IOException;

    LogArchive NONE = new LogArchive() {
        @Override
        public void store(String runId, List<Path> segments, long droppedBytes) {
        }

        @Override
        public List<Long> segments(String runId) {
            return List.of();
        }

        @Override
        public InputStream open(String runId, long segment) throws IOException {
            throw new IOException("no log archive");
        }

        @Override
        public long droppedBytes(String runId) {
            return 0;
        }

        @Override
        public void delete(String runId) {
        }
    };
}
