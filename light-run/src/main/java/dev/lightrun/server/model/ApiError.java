package dev.lightrun.server.model;

/**
 * Every error the API answers with: its HTTP status and its stable {@code error} code. The one list of them: routes,
 * the run service and the error handler all name an entry here, never a status or a code string of their own.
 */
public enum ApiError {
    BAD_REQUEST(400, "bad_request"),
    UNAUTHORIZED(401, "unauthorized"),
    FORBIDDEN(403, "forbidden"),
    IMAGE_NOT_ALLOWED(403, "image_not_allowed"),
    BUILD_NOT_ALLOWED(403, "build_not_allowed"),
    NOT_FOUND(404, "not_found"),
    METHOD_NOT_ALLOWED(405, "method_not_allowed"),
    CONFLICT(409, "conflict"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large"),
    QUEUE_FULL(429, "queue_full"),
    /** A tenant's quota (its body names it: {@code "quota": "maxQueued"}). */
    QUOTA_EXCEEDED(429, "quota_exceeded"),
    /** Too many failed authentications from one address. */
    TOO_MANY_REQUESTS(429, "too_many_requests"),
    INTERNAL_ERROR(500, "internal_error"),
    UNAVAILABLE(503, "unavailable"),
    DOCKER_UNAVAILABLE(503, "docker_unavailable");

    private final int status;
    private final String code;

    ApiError(int status, String code) {
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The {@code error} field of the JSON body. */
    public String code() {
        return code;
    }

    /**
     * Whether the client should come back later: a queue slot frees within seconds for typical runs, and a restart
     * takes about as long, and so does a Docker daemon restart. Such answers carry {@code Retry-After}.
     */
    public boolean retryable() {
        return status == 429 || status == 503;
    }
}
