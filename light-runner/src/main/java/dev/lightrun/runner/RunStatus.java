package dev.lightrun.runner;

/** How a run ended. Exactly one is reported per run, even when a cancel or timeout races a normal exit. */
public enum RunStatus {
    /** The container exited with code 0 (and its files, if any were asked for, were extracted). */
    SUCCEEDED,
    /** Non-zero exit, OOM kill, or an error before or after the container ran; see {@link RunResult#error()}. */
    FAILED,
    /** Cancelled or stopped by request. */
    CANCELLED,
    /** Killed because it ran past its timeout. */
    TIMED_OUT
}
