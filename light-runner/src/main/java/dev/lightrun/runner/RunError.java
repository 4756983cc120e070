package dev.lightrun.runner;

import java.util.Objects;

/** Why a run did not succeed: a stable code and a human message. */
public record RunError(ErrorCode code, String message) {
    public RunError {
        Objects.requireNonNull(code, "code was not specified");
        Objects.requireNonNull(message, "message was not specified");
    }
}
