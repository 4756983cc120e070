package dev.lightrun.server.logs;

import java.time.Instant;

/** One line of a run's output: when it was read, from which stream ("stdout" or "stderr"), and its text. */
public record LogRecord(Instant t, String stream, String line) {
}
