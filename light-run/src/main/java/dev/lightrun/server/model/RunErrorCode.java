package dev.lightrun.server.model;

import dev.lightrun.runner.ErrorCode;

/**
 * Why a run did not succeed, as its state's {@code errorCode} shows it: the SDK's codes, plus what only the server
 * can know ({@link #LOST}). Stored and shown by name, so names never change.
 */
public enum RunErrorCode {
    INVALID_REQUEST,
    DAEMON_UNREACHABLE,
    IMAGE_NOT_FOUND,
    BUILD_FAILED,
    /** The container could not be created or started (also: the run's start was refused before a container existed). */
    START_FAILED,
    NONZERO_EXIT,
    OOM_KILLED,
    TIMED_OUT,
    CANCELLED,
    STOPPED,
    EXTRACTION_REFUSED,
    NOT_FOUND,
    CONFLICT,
    DOCKER_ERROR,
    /** The server restarted and the run could not be picked up again (its container or its queued request was gone). */
    LOST,
    /**
     * Its replica was declared gone for good ({@code light-run replicas forget}) while the run was executing there; the
     * server code only, never the SDK's.
     */
    REPLICA_LOST;

    /** The SDK's code for the same reason; exhaustive, so a new SDK code does not compile until it is mapped. */
    public static RunErrorCode of(ErrorCode code) {
        return switch (code) {
            case INVALID_REQUEST -> INVALID_REQUEST;
            case DAEMON_UNREACHABLE -> DAEMON_UNREACHABLE;
            case IMAGE_NOT_FOUND -> IMAGE_NOT_FOUND;
            case BUILD_FAILED -> BUILD_FAILED;
            case START_FAILED -> START_FAILED;
            case NONZERO_EXIT -> NONZERO_EXIT;
            case OOM_KILLED -> OOM_KILLED;
            case TIMED_OUT -> TIMED_OUT;
            case CANCELLED -> CANCELLED;
            case STOPPED -> STOPPED;
            case EXTRACTION_REFUSED -> EXTRACTION_REFUSED;
            case NOT_FOUND -> NOT_FOUND;
            case CONFLICT -> CONFLICT;
            case DOCKER_ERROR -> DOCKER_ERROR;
        };
    }
}
