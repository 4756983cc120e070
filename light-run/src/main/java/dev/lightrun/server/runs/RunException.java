package dev.lightrun.server.runs;

/** A request about a run that cannot be served: the run is unknown, or in a state that forbids the action. */
public class RunException extends RuntimeException {
    /** What went wrong; the HTTP layer maps it to 403, 404, 409, 429 or 503. */
    public enum Kind { FORBIDDEN, NOT_FOUND, CONFLICT, TOO_MANY, UNAVAILABLE }

    private final Kind kind;
    private final String code;

    public RunException(Kind kind, String message) {
        this(kind, null, message);
    }

    /** {@code code} refines the kind for the client, e.g. "image_not_allowed" for FORBIDDEN. */
    public RunException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public Kind kind() {
        return kind;
    }

    /** The error code to show, or null for the kind's default. */
    public String code() {
        return code;
    }

    public static RunException notFound(String id) {
        return new RunException(Kind.NOT_FOUND, "run " + id + " not found");
    }
}
