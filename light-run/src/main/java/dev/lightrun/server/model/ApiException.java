package dev.lightrun.server.model;

import dev.lightrun.runner.RunnerException;

import java.util.List;
import java.util.Objects;

/**
 * The one exception the server throws for a request it cannot serve: an {@link ApiError}, a message naming what failed,
 * and for invalid input the fields at fault. The HTTP layer renders it as
 * {@code {"error": code, "message": ..., "details": [{path, message}]}}.
 */
public class ApiException extends RuntimeException {
    private final ApiError error;
    private final List<FieldError> details;

    public ApiException(ApiError error, String message, List<FieldError> details) {
        super(message);
        this.error = Objects.requireNonNull(error, "error was not specified");
        this.details = List.copyOf(details);
    }

    public ApiException(ApiError error, String message) {
        this(error, message, List.of());
    }

    public static ApiException badRequest(List<FieldError> details) {
        String first = details.isEmpty() ? "invalid request" : details.getFirst().path() + ": " + details.getFirst().message();
        return new ApiException(ApiError.BAD_REQUEST, first, details);
    }

    public static ApiException badRequest(String path, String message) {
        return badRequest(List.of(new FieldError(path, message)));
    }

    public static ApiException notFound(String what) {
        return new ApiException(ApiError.NOT_FOUND, what);
    }

    /** A run that does not exist (or that the caller may not see: both answer the same, so ids cannot be probed). */
    public static ApiException runNotFound(String id) {
        return notFound("run " + id + " not found");
    }

    public static ApiException conflict(String message) {
        return new ApiException(ApiError.CONFLICT, message);
    }

    /**
     * The SDK's failure as the API answers it: the one translation of {@link RunnerException}s. A daemon that does not
     * answer is 503 {@code docker_unavailable}; what the SDK could not classify is a 500.
     */
    public static ApiException fromRunner(RunnerException e) {
        ApiError error = switch (e.code()) {
            case INVALID_REQUEST -> ApiError.BAD_REQUEST;
            case NOT_FOUND -> ApiError.NOT_FOUND;
            case CONFLICT -> ApiError.CONFLICT;
            case DAEMON_UNREACHABLE -> ApiError.DOCKER_UNAVAILABLE;
            default -> ApiError.INTERNAL_ERROR;
        };
        ApiException translated = new ApiException(error, e.getMessage());
        translated.initCause(e);
        return translated;
    }

    public ApiError error() {
        return error;
    }

    public List<FieldError> details() {
        return details;
    }
}
