package dev.lightrun.runner;

/**
 * The few reasons a run can fail that a caller can act on. Stable: callers and the HTTP server map on these names.
 */
public enum ErrorCode {
    /** The request itself is invalid (a field out of range, an unsafe path); fix the request. */
    INVALID_REQUEST,
    /** The Docker daemon did not answer; start it or point DOCKER_HOST at one. */
    DAEMON_UNREACHABLE,
    /** The image is not present locally and could not be pulled; build or load it first. */
    IMAGE_NOT_FOUND,
    /** A build step failed while building the cached image for {@code RunSpec.buildSteps}. */
    BUILD_FAILED,
    /** The daemon refused to create or start the container (bad runtime, user, network, ...). */
    START_FAILED,
    /** The container exited with a non-zero code. */
    NONZERO_EXIT,
    /** The container's memory limit was hit and the kernel killed it. */
    OOM_KILLED,
    /** The run exceeded its timeout and was killed. */
    TIMED_OUT,
    /** The run was cancelled (killed at once) by request. */
    CANCELLED,
    /** The run was stopped by request (signal, then kill after the grace period). */
    STOPPED,
    /** An extracted entry broke a cap or was unsafe, so the run's files were refused. */
    EXTRACTION_REFUSED,
    /** The named execution, network or container does not exist (any more). */
    NOT_FOUND,
    /** The operation conflicts with the current state (e.g. resume of a run that is not paused). */
    CONFLICT,
    /** Anything else the daemon reported; the message carries its words. */
    DOCKER_ERROR
}
