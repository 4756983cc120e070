package dev.lightrun.server.http;

import dev.lightrun.server.model.Caller;
import io.javalin.http.Context;

/** Where a request's {@link Caller} travels from authentication to the routes: one attribute of the request. */
final class Callers {
    private static final String ATTRIBUTE = "caller";

    private Callers() {
    }

    static void set(Context ctx, Caller caller) {
        ctx.attribute(ATTRIBUTE, caller);
    }

    /** The authenticated caller; a route reached without authentication (an open server) acts for {@link Caller#OPEN}. */
    static Caller of(Context ctx) {
        Caller caller = ctx.attribute(ATTRIBUTE);
        return caller == null ? Caller.OPEN : caller;
    }

    /** The caller authentication set, or null when it did not (failed, or not needed). */
    static Caller authenticated(Context ctx) {
        return ctx.attribute(ATTRIBUTE);
    }
}
