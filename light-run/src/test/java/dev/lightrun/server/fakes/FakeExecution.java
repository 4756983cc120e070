package dev.lightrun.server.fakes;

import dev.lightrun.runner.EntryType;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.ExtractedEntry;
import dev.lightrun.runner.LogSink;
import dev.lightrun.runner.LogStream;
import dev.lightrun.runner.Reattach;
import dev.lightrun.runner.RunError;
import dev.lightrun.runner.RunResult;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunStatus;
import dev.lightrun.runner.RunnerException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An {@link Execution} that ends only when the test says so: {@link #succeed}, {@link #fail}, {@link #exit}, or
 * through {@link #cancel}/{@link #stop} (which end it at once, as a kill that worked). Completing it runs the
 * caller's {@code result()} callbacks on the test's thread, so a test drives the run service synchronously.
 * Thread-safe; the first ending wins, later ones return false like the real one's.
 */
public final class FakeExecution implements Execution {
    private final String runId;
    private final RunSpec spec;
    private final Reattach reattach;
    private final Instant startedAt = Instant.now();
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final ReentrantLock lock = new ReentrantLock();
    private boolean paused;
    private boolean cancelled;
    private String stopSignal;
    private Duration stopGrace;

    FakeExecution(String runId, RunSpec spec, Reattach reattach) {
        this.runId = runId;
        this.spec = spec;
        this.reattach = reattach;
    }

    @Override
    public String runId() {
        return runId;
    }

    /** The spec it was started with; null for a re-attached execution. */
    public RunSpec spec() {
        return spec;
    }

    /** How it was re-attached; null for a started one. */
    public Reattach reattach() {
        return reattach;
    }

    private LogSink sink() {
        return spec != null ? spec.logSink() : reattach.logSink();
    }

    /** Writes output to the run's log sink, as the container printing it. */
    public FakeExecution output(LogStream stream, String text) {
        sink().accept(stream, text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Exit code 0 with this stdout and these extracted files (path -> bytes, all files). */
    public boolean succeed(String stdout, Map<String, Long> files) {
        List<ExtractedEntry> entries = files.entrySet().stream()
                .map(f -> new ExtractedEntry(f.getKey(), f.getValue(), EntryType.FILE)).toList();
        return end(RunStatus.SUCCEEDED, 0, stdout, entries, null);
    }

    public boolean succeed() {
        return succeed("", Map.of());
    }

    /** Exits with {@code code}: 0 succeeds, anything else fails NONZERO_EXIT. */
    public boolean exit(int code) {
        if (code == 0) {
            return succeed();
        }
        return end(RunStatus.FAILED, code, "", List.of(),
                new RunError(ErrorCode.NONZERO_EXIT, "container exited with code " + code));
    }

    /** Ends failed with this SDK error and no exit code (the container never ran to an exit). */
    public boolean fail(ErrorCode code, String message) {
        return end(code == ErrorCode.TIMED_OUT ? RunStatus.TIMED_OUT : RunStatus.FAILED, null, "", List.of(),
                new RunError(code, message));
    }

    @Override
    public boolean cancel() {
        lock.lock();
        try {
            if (result.isDone()) {
                return false;
            }
            cancelled = true;
        } finally {
            lock.unlock();
        }
        return end(RunStatus.CANCELLED, 137, "", List.of(), new RunError(ErrorCode.CANCELLED, "run was cancelled"));
    }

    @Override
    public boolean stop(String signal, Duration grace) {
        lock.lock();
        try {
            if (result.isDone()) {
                return false;
            }
            stopSignal = signal;
            stopGrace = grace;
        } finally {
            lock.unlock();
        }
        return end(RunStatus.CANCELLED, 143, "", List.of(),
                new RunError(ErrorCode.STOPPED, "run was stopped with " + signal));
    }

    @Override
    public void pause() {
        lock.lock();
        try {
            if (result.isDone() || paused) {
                throw new RunnerException(ErrorCode.CONFLICT, "run " + runId + " is not running or already paused");
            }
            paused = true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void resume() {
        lock.lock();
        try {
            if (!paused) {
                throw new RunnerException(ErrorCode.CONFLICT, "run " + runId + " is not paused");
            }
            paused = false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isPaused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #cancel} ended it. */
    public boolean cancelled() {
        lock.lock();
        try {
            return cancelled;
        } finally {
            lock.unlock();
        }
    }

    /** The signal {@link #stop} was called with, or null. */
    public String stopSignal() {
        lock.lock();
        try {
            return stopSignal;
        } finally {
            lock.unlock();
        }
    }

    public Duration stopGrace() {
        lock.lock();
        try {
            return stopGrace;
        } finally {
            lock.unlock();
        }
    }

    public boolean isDone() {
        return result.isDone();
    }

    @Override
    public CompletableFuture<RunResult> result() {
        return result;
    }

    /** Like the real runner: the log sink is closed once the output has ended, then the result completes. */
    private boolean end(RunStatus status, Integer exitCode, String stdout, List<ExtractedEntry> entries, RunError error) {
        lock.lock();
        try {
            if (result.isDone()) {
                return false;
            }
            paused = false;
        } finally {
            lock.unlock();
        }
        sink().close();
        Instant finishedAt = Instant.now();
        return result.complete(new RunResult(runId, status, exitCode, status == RunStatus.TIMED_OUT, false, startedAt,
                finishedAt, Duration.between(startedAt, finishedAt), stdout, "", false, false, entries, List.of(),
                List.of(), error, Map.of("run", Duration.between(startedAt, finishedAt))));
    }
}
