package dev.lightrun.server.model;

import java.util.Objects;
import java.util.Set;

/**
 * Who is making a request: the key's name (which becomes the owner of the runs it starts), what it may do, and its
 * quota. {@link #toString()} has no secret to hide: the token itself never reaches this record.
 *
 * @param name   the key's name; the owner of its runs
 * @param scopes what it may do
 * @param quota  its limits on top of the server's
 */
public record Caller(String name, Set<Scope> scopes, Quota quota) {
    /** The caller of a server with no keys and no token (open mode on loopback): may do everything. */
    public static final Caller OPEN = new Caller("anonymous", Set.of(Scope.ADMIN), Quota.UNLIMITED);

    public Caller {
        Objects.requireNonNull(name, "name was not specified");
        scopes = Set.copyOf(scopes);
        quota = Objects.requireNonNullElse(quota, Quota.UNLIMITED);
    }

    public boolean isAdmin() {
        return scopes.contains(Scope.ADMIN);
    }

    /** Whether this caller holds {@code scope} ({@link Scope#ADMIN} holds them all). */
    public boolean may(Scope scope) {
        return isAdmin() || scopes.contains(scope);
    }

    /** Whether this caller may see that run at all: its own, or any for an admin. Others' runs are 404, never 403. */
    public boolean sees(RunState run) {
        return isAdmin() || name.equals(run.owner());
    }
}
