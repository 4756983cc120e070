package dev.lightrun.server.http;

import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import io.javalin.http.Context;

import java.util.Set;

/** Where a request's {@link Caller} travels from authentication to the routes: one attribute of the request. */
final class Callers {
    private static final String ATTRIBUTE = "caller";

    private Callers() {
    }

    static void set(Context ctx, Caller caller) {
        ctx.attribute(ATTRIBUTE, caller);
    }

    /** Nobody: the caller of a request that authentication did not name (a public route); may do nothing. */
    static final Caller NOBODY = new Caller("nobody", Set.of(), Quota.UNLIMITED);

    /**
     * The request's caller, as authentication set it ({@link Caller#OPEN} on a server without keys); {@link #NOBODY}
     * when none was set, so a route that authentication skipped can never act with someone's rights.
     */
    static Caller of(Context ctx) {
        Caller caller = ctx.attribute(ATTRIBUTE);
        return caller == null ? NOBODY : caller;
    }

    /** The caller authentication set, or null when it did not (failed, or not needed). */
    static Caller authenticated(Context ctx) {
        return ctx.attribute(ATTRIBUTE);
    }
}
