package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.Objects;

/**
 * One line a run wrote, as {@code GET /runs/{id}/logs?format=jsonl} sends it: {@code {"t", "stream", "line"}}.
 *
 * @param time   when the server received it (JSON {@code t})
 * @param stream which output it came from
 * @param line   the text, without its line break
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LogLine(@JsonProperty("t") Instant time, Stream stream, String line) {
    public LogLine {
        Objects.requireNonNull(stream, "stream was not specified");
        line = Objects.requireNonNullElse(line, "");
    }

    public enum Stream {
        @JsonProperty("stdout") STDOUT,
        @JsonProperty("stderr") STDERR
    }
}
