package dev.lightrun.runner;

import java.util.Objects;

/** The one unchecked exception of the SDK: a stable {@link ErrorCode} and a message that says what to do. */
public class RunnerException extends RuntimeException {
    private final ErrorCode code;

    public RunnerException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public RunnerException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code was not specified");
    }

    public ErrorCode code() {
        return code;
    }

    /** The error as the data a {@link RunResult} carries. */
    public RunError toRunError() {
        return new RunError(code, getMessage());
    }
}
