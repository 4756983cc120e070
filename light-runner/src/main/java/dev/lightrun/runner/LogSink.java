package dev.lightrun.runner;

/**
 * Receives a run's output live, chunk by chunk, as the container writes it. Chunks are raw bytes (not split into
 * lines) and arrive in order per stream. Called from one thread per execution; must not block for long, since the
 * log stream is not read while it runs.
 */
@FunctionalInterface
public interface LogSink {
    /** Discards everything. */
    LogSink NONE = (stream, chunk) -> { };

    void accept(LogStream stream, byte[] chunk);

    /** Called once when the stream has ended (the container exited or the run failed). */
    default void close() {
    }
}
