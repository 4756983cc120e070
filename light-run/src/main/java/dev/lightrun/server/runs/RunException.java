package dev.lightrun.server.runs;

/** A request about a run that cannot be served: the run is unknown, or in a state that forbids the action. */
public class RunException extends RuntimeException {
    /** What went wrong; the HTTP layer maps it to 404, 409 or 503. */
    public enum Kind { NOT_FOUND, CONFLICT, UNAVAILABLE }

    private final Kind kind;

    public RunException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static RunException notFound(String id) {
        return new RunException(Kind.NOT_FOUND, "run " + id + " not found");
    }
}
