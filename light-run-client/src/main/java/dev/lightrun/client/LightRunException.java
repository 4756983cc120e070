package dev.lightrun.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one exception the client throws: an error the server answered with, or a failure to get an answer at all.
 *
 * <p>For an HTTP error, {@link #status()} is the HTTP status and {@link #code()} the API's stable {@code error} code
 * ({@code bad_request}, {@code not_found}, {@code queue_full}, ...; see docs/api.md), {@link #getMessage()} the
 * server's message, {@link #details()} the fields at fault for a {@code bad_request}, and {@link #extra()} any other
 * field a newer server adds to its error body (e.g. {@code scope}, {@code quota}). Without an answer, {@link #status()}
 * is 0 and the code is one of the client's own: {@link #UNREACHABLE}, {@link #TIMEOUT}, {@link #INTERRUPTED} or
 * {@link #INVALID_RESPONSE}; the cause is kept.
 */
public class LightRunException extends RuntimeException {
    /** No connection, or it broke: the server is down, the URL is wrong, or the network failed. */
    public static final String UNREACHABLE = "unreachable";
    /** A deadline of the client passed: the request timeout, or {@code await}'s maximum wait. */
    public static final String TIMEOUT = "timeout";
    /** The calling thread was interrupted while waiting (its interrupt flag is set again). */
    public static final String INTERRUPTED = "interrupted";
    /** The server answered something this client cannot read (not light-run, or a proxy's error page). */
    public static final String INVALID_RESPONSE = "invalid_response";

    private final int status;
    private final String code;
    private final List<FieldError> details;
    private final Map<String, Object> extra;
    private final Duration retryAfter;

    public LightRunException(int status, String code, String message, List<FieldError> details,
                             Map<String, Object> extra, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code was not specified");
        this.details = details == null ? List.of() : List.copyOf(details);
        this.extra = extra == null ? Map.of() : Map.copyOf(extra);
        this.retryAfter = retryAfter;
    }

    /** A failure without an HTTP answer (status 0). */
    public LightRunException(String code, String message, Throwable cause) {
        this(0, code, message, List.of(), Map.of(), null, cause);
    }

    /** The HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The API's {@code error} code, or one of this class's constants when no answer came. */
    public String code() {
        return code;
    }

    /** The fields at fault (for {@code bad_request}), in the server's order; empty otherwise. */
    public List<FieldError> details() {
        return details;
    }

    /** Fields of the error body beyond {@code error}, {@code message} and {@code details}, as plain JSON values. */
    public Map<String, Object> extra() {
        return extra;
    }

    /** The server's {@code Retry-After} (on {@code queue_full} and {@code unavailable}), if it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** {@code code: message}, then each field at fault as {@code path: message}, separated by "; ". */
    public String describe() {
        StringBuilder text = new StringBuilder(code).append(": ").append(getMessage());
        for (FieldError detail : details) {
            String line = detail.path() + ": " + detail.message();
            if (!line.equals(getMessage())) {
                text.append("; ").append(line);
            }
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return "LightRunException{status=" + status + ", " + describe() + "}";
    }

    /**
     * One field the server refused.
     *
     * @param path    where the field is in the request's JSON ({@code timeout}, {@code files[a.txt]}, {@code $} for
     *                the whole body)
     * @param message what is wrong with it
     */
    public record FieldError(String path, String message) {
    }
}
