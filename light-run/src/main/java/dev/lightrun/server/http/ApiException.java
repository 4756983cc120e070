package dev.lightrun.server.http;

import dev.lightrun.server.model.FieldError;

import java.util.List;
import java.util.Objects;

/**
 * The one exception the HTTP layer renders: a stable error code, its HTTP status, a message and, for validation, the
 * fields at fault. Rendered as {@code {"error": code, "message": ..., "details": [{path, message}]}}.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final List<FieldError> details;

    public ApiException(int status, String code, String message, List<FieldError> details) {
        super(message);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code was not specified");
        this.details = List.copyOf(details);
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, List.of());
    }

    public static ApiException badRequest(List<FieldError> details) {
        String first = details.isEmpty() ? "invalid request" : details.getFirst().path() + ": " + details.getFirst().message();
        return new ApiException(400, "bad_request", first, details);
    }

    public static ApiException badRequest(String path, String message) {
        return badRequest(List.of(new FieldError(path, message)));
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", what);
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldError> details() {
        return details;
    }
}
