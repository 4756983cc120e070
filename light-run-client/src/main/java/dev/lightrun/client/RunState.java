package dev.lightrun.client;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A run as the server shows it ({@code GET /runs/{id}}, a sync {@code POST /run}, a callback). Fields a newer server
 * adds are ignored, and a status this client does not know reads as {@link RunStatus#UNKNOWN}. Holds no secret: the
 * server never sends env values, input or the callback secret.
 *
 * @param id         time-ordered UUID
 * @param status     its status; {@link #isFinished()} is the test to use
 * @param image      the image it runs
 * @param owner      who submitted it: an API key's name, {@code admin}, {@code anonymous} (null on older servers)
 * @param detached   whether it was submitted detached
 * @param queuedAt   when it was accepted
 * @param startedAt  when it got a slot (null while queued)
 * @param finishedAt when it ended (null until then)
 * @param exitCode   the container's exit code (null while running, or when it never ran)
 * @param duration   container start to exit (JSON {@code durationMs}; null while running)
 * @param timedOut   killed by its timeout
 * @param oomKilled  killed for exceeding its memory limit
 * @param artifacts  extracted files and folders, downloadable with {@link LightRunClient#download}
 * @param error      why it did not succeed (null on success)
 * @param errorCode  a stable code for {@code error}: {@code TIMED_OUT}, {@code NONZERO_EXIT}, {@code IMAGE_NOT_FOUND},
 *                   {@code START_FAILED}, {@code CANCELLED}, ... (a string: newer servers add codes)
 * @param logs       the end of stdout and stderr (the whole log: {@link LightRunClient#logs})
 * @param timings    time spent in each phase ({@code image}, {@code create}, {@code start}, {@code run}, ...)
 * @param callback   delivery state of a detached run's callback (null when it has none)
 * @param replica    the replica executing (or that executed) it, when several servers share one store; null on a
 *                   server that runs alone, while it waits in the shared queue, and on older servers
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunState(String id, RunStatus status, String image, String owner, boolean detached, Instant queuedAt,
                       Instant startedAt, Instant finishedAt, Integer exitCode,
                       @JsonProperty("durationMs") Duration duration, boolean timedOut, boolean oomKilled,
                       List<Artifact> artifacts, String error, String errorCode, Logs logs,
                       Map<String, Duration> timings, Callback callback, String replica) {
    public RunState {
        Objects.requireNonNull(id, "id was not specified");
        status = Objects.requireNonNullElse(status, RunStatus.UNKNOWN);
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
        logs = Objects.requireNonNullElse(logs, Logs.EMPTY);
        timings = timings == null ? Map.of() : Map.copyOf(timings);
    }

    /** A state without {@code replica} (the shape before replicas), so code that builds states keeps compiling. */
    public RunState(String id, RunStatus status, String image, String owner, boolean detached, Instant queuedAt,
                    Instant startedAt, Instant finishedAt, Integer exitCode, Duration duration, boolean timedOut,
                    boolean oomKilled, List<Artifact> artifacts, String error, String errorCode, Logs logs,
                    Map<String, Duration> timings, Callback callback) {
        this(id, status, image, owner, detached, queuedAt, startedAt, finishedAt, exitCode, duration, timedOut,
                oomKilled, artifacts, error, errorCode, logs, timings, callback, null);
    }

    /** Ended, whatever the outcome: a terminal status, or a finish time from a server with statuses unknown here. */
    @JsonIgnore
    public boolean isFinished() {
        return status.isTerminal() || finishedAt != null;
    }

    /** Ended {@code succeeded}. */
    @JsonIgnore
    public boolean isSucceeded() {
        return status == RunStatus.SUCCEEDED;
    }

    /** The extracted regular files (not the folders), in the server's order. */
    @JsonIgnore
    public List<Artifact> files() {
        return artifacts.stream().filter(a -> !a.isDirectory()).toList();
    }

    /**
     * One extracted entry.
     *
     * @param path  relative to the run's artifact folder ({@code out/result.json})
     * @param bytes size of a file (0 for a folder)
     * @param type  {@code file} or {@code directory}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Artifact(String path, long bytes, String type) {
        @JsonIgnore
        public boolean isDirectory() {
            return "directory".equals(type);
        }
    }

    /** The end of each output stream, and whether earlier output was cut to respect the server's cap. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Logs(String stdout, String stderr, boolean stdoutTruncated, boolean stderrTruncated) {
        public static final Logs EMPTY = new Logs("", "", false, false);

        public Logs {
            stdout = Objects.requireNonNullElse(stdout, "");
            stderr = Objects.requireNonNullElse(stderr, "");
        }
    }

    /**
     * How a detached run's callback is doing.
     *
     * @param attempts    deliveries tried so far
     * @param lastStatus  HTTP status of the last attempt (-1: no answer, or the URL was refused)
     * @param deliveredAt when a 2xx came back (null until then)
     * @param gaveUp      no more attempts will be made
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Callback(int attempts, Integer lastStatus, Instant deliveredAt, boolean gaveUp) {
    }
}
