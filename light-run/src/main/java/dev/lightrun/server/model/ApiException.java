package dev.lightrun.server.model;

import dev.lightrun.runner.RunnerException;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one exception the server throws for a request it cannot serve: an {@link ApiError}, a message naming what failed,
 * and for invalid input the fields at fault. The HTTP layer renders it as
 * {@code {"error": code, "message": ..., "details": [{path, message}]}}.
 */
public class ApiException extends RuntimeException {
    private final ApiError error;
    private final List<FieldError> details;
    private final Map<String, String> fields;
    private final Duration retryAfter;

    public ApiException(ApiError error, String message, List<FieldError> details) {
        this(error, message, details, Map.of(), null);
    }

    private ApiException(ApiError error, String message, List<FieldError> details, Map<String, String> fields,
                         Duration retryAfter) {
        super(message);
        this.error = Objects.requireNonNull(error, "error was not specified");
        this.details = List.copyOf(details);
        this.fields = Map.copyOf(fields);
        this.retryAfter = retryAfter;
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

    /**
     * This error with one more top-level field in its body, e.g. {@code "scope": "run"} on a 403 forbidden or
     * {@code "quota": "maxQueued"} on a 429 quota_exceeded: what a client branches on, beside the code.
     */
    public ApiException withField(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(fields);
        more.put(name, value);
        ApiException copy = new ApiException(error, getMessage(), details, more, retryAfter);
        copy.initCause(getCause());
        return copy;
    }

    /** This error telling the client when to come back ({@code Retry-After}, whole seconds, at least 1). */
    public ApiException withRetryAfter(Duration value) {
        ApiException copy = new ApiException(error, getMessage(), details, fields, value);
        copy.initCause(getCause());
        return copy;
    }

    public ApiError error() {
        return error;
    }

    public List<FieldError> details() {
        return details;
    }

    /** Extra top-level fields of the body, in the order they were added. */
    public Map<String, String> fields() {
        return fields;
    }

    /** When to retry, if this error says; null for the error's default (5 s for a retryable one, none otherwise). */
    public Duration retryAfter() {
        return retryAfter;
    }
}
