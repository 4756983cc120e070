package dev.lightrun.server.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of the audit log: who did what to which run, and how it ended. It holds nothing a client chose freely:
 * no token, header, query, body, env value or input; the route is the server's template, not the requested path.
 *
 * @param time    when the answer was sent
 * @param key     the key's name (null when authentication failed; "anonymous" on an open server)
 * @param address the client's address (the socket's; no forwarding header is trusted)
 * @param method  POST, PUT or DELETE
 * @param route   the route template, e.g. {@code /runs/{id}/cancel} (null for a path that matched no route)
 * @param runId   the run concerned, when there is one
 * @param status  the HTTP status answered
 */
public record AuditEntry(Instant time, String key, String address, String method, String route, String runId,
                         int status) {
    public AuditEntry {
        Objects.requireNonNull(time, "time was not specified");
        Objects.requireNonNull(method, "method was not specified");
    }
}
