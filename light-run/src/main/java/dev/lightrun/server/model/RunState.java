package dev.lightrun.server.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A run as the API shows it (and as callbacks deliver it). Holds no secret: env values, input and the callback secret
 * are never part of it.
 *
 * @param id          time-ordered UUID
 * @param status      queued, running, succeeded, failed or cancelled
 * @param image       the image it runs
 * @param owner       the name of the key that started it ("anonymous" on an open server; null for runs stored before keys)
 * @param detached    whether the client chose not to wait
 * @param queuedAt    when it was accepted
 * @param startedAt   when it got a slot and started (null while queued, and for a run cancelled in the queue)
 * @param finishedAt  when it ended (null while running)
 * @param exitCode    the container's exit code (null while running or when it never ran)
 * @param durationMs  container start to exit
 * @param timedOut    killed by its timeout
 * @param oomKilled   killed for exceeding its memory limit
 * @param artifacts   extracted files and folders, downloadable under /runs/{id}/artifacts/{path}
 * @param error       why it did not succeed (null on success)
 * @param errorCode   a stable code for {@code error} (e.g. TIMED_OUT, IMAGE_NOT_FOUND)
 * @param logs        the end of stdout and stderr, capped
 * @param timings     milliseconds spent in each phase of the run
 * @param callback    delivery state of the run's callback (null when it has none, or none is due yet)
 * @param start       {@code warm} when the run took a warm pool's started container, {@code cold} when one was
 *                    created for it; null until it has ended (and for runs that never had a container)
 * @param replica     the replica that executes (or executed) it when several share one database; null on a single
 *                    server and while it waits in the shared queue
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RunState(String id, RunStatus status, String image, String owner, boolean detached, Instant queuedAt,
                       Instant startedAt, Instant finishedAt, Integer exitCode, Long durationMs, boolean timedOut, boolean oomKilled,
                       List<Artifact> artifacts, String error, RunErrorCode errorCode, Logs logs,
                       Map<String, Long> timings, Callback callback, String start, String replica) {
    /** A state without {@code replica} (the shape before replicas). */
    public RunState(String id, RunStatus status, String image, String owner, boolean detached, Instant queuedAt,
                    Instant startedAt, Instant finishedAt, Integer exitCode, Long durationMs, boolean timedOut,
                    boolean oomKilled, List<Artifact> artifacts, String error, RunErrorCode errorCode, Logs logs,
                    Map<String, Long> timings, Callback callback, String start) {
        this(id, status, image, owner, detached, queuedAt, startedAt, finishedAt, exitCode, durationMs, timedOut,
                oomKilled, artifacts, error, errorCode, logs, timings, callback, start, null);
    }

    /** A state without {@code start} (the shape before warm pools). */
    public RunState(String id, RunStatus status, String image, String owner, boolean detached, Instant queuedAt,
                    Instant startedAt, Instant finishedAt, Integer exitCode, Long durationMs, boolean timedOut,
                    boolean oomKilled, List<Artifact> artifacts, String error, RunErrorCode errorCode, Logs logs,
                    Map<String, Long> timings, Callback callback) {
        this(id, status, image, owner, detached, queuedAt, startedAt, finishedAt, exitCode, durationMs, timedOut,
                oomKilled, artifacts, error, errorCode, logs, timings, callback, null);
    }

    public RunState {
        Objects.requireNonNull(id, "id was not specified");
        Objects.requireNonNull(status, "status was not specified");
        Objects.requireNonNull(queuedAt, "queuedAt was not specified");
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
        logs = Objects.requireNonNullElse(logs, Logs.EMPTY);
        timings = timings == null ? Map.of() : timings;
    }

    /** Accepted and started at once. */
    public static RunState running(String id, String image, String owner, boolean detached, Instant now) {
        return new RunState(id, RunStatus.RUNNING, image, owner, detached, now, now, null, null, null, false, false,
                List.of(), null, null, Logs.EMPTY, Map.of(), null);
    }

    /** Accepted, waiting for a slot. */
    public static RunState queued(String id, String image, String owner, boolean detached, Instant now) {
        return new RunState(id, RunStatus.QUEUED, image, owner, detached, now, null, null, null, null, false, false,
                List.of(), null, null, Logs.EMPTY, Map.of(), null);
    }

    /** This queued run, started now. */
    public RunState startedNow() {
        return new RunState(id, RunStatus.RUNNING, image, owner, detached, queuedAt, Instant.now(), null, null, null, false,
                false, List.of(), null, null, Logs.EMPTY, Map.of(), null);
    }

    /** This run, back in the queue (claimed by a replica that never launched it). */
    public RunState requeued() {
        return new RunState(id, RunStatus.QUEUED, image, owner, detached, queuedAt, null, null, null, null, false,
                false, List.of(), null, null, Logs.EMPTY, Map.of(), null);
    }

    /** This state, executed by {@code name} (see {@code replica}). */
    public RunState withReplica(String name) {
        return new RunState(id, status, image, owner, detached, queuedAt, startedAt, finishedAt, exitCode, durationMs,
                timedOut, oomKilled, artifacts, error, errorCode, logs, timings, callback, start, name);
    }

    /** This run, ended before it had a container (cancelled in the queue, refused at start, lost). */
    public RunState endedWithoutContainer(RunStatus status, String error, RunErrorCode code) {
        return new RunState(id, status, image, owner, detached, queuedAt, startedAt, Instant.now(), null, 0L, false, false,
                List.of(), error, code, Logs.EMPTY, Map.of(), null, null, replica);
    }

    /** This state with its callback's delivery state. */
    public RunState withCallback(Callback value) {
        return new RunState(id, status, image, owner, detached, queuedAt, startedAt, finishedAt, exitCode, durationMs, timedOut,
                oomKilled, artifacts, error, errorCode, logs, timings, value, start, replica);
    }

    /**
     * How the callback of a detached run is doing.
     *
     * @param attempts    deliveries tried so far
     * @param lastStatus  HTTP status of the last attempt (-1: no answer, or the URL was refused)
     * @param deliveredAt when a 2xx came back (null until then)
     * @param gaveUp      no more attempts will be made (4xx, refused URL, or attempts used up)
     */
    public record Callback(int attempts, Integer lastStatus, Instant deliveredAt, boolean gaveUp) {
    }

    /** Total bytes of the run's extracted files. */
    @JsonIgnore
    public long artifactBytes() {
        return artifacts.stream().mapToLong(Artifact::bytes).sum();
    }

    /** One extracted entry: path relative to the run's artifact folder, size, and "file" or "directory". */
    public record Artifact(String path, long bytes, String type) {
    }

    /** The end of each output stream, with whether earlier output was dropped to respect the cap. */
    public record Logs(String stdout, String stderr, boolean stdoutTruncated, boolean stderrTruncated) {
        public static final Logs EMPTY = new Logs("", "", false, false);
    }
}
