package dev.lightrun.server.http;

import dev.lightrun.server.auth.AuditEntry;
import dev.lightrun.server.auth.AuditLog;
import dev.lightrun.server.auth.KeyRegistry;
import dev.lightrun.server.auth.RouteScopes;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunIds;
import io.javalin.http.Context;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;

/** Writes an audit line for every mutating request once its answer is known, and serves {@code GET /audit}. */
final class AuditRoutes {
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "DELETE", "PATCH");

    private final AuditLog audit;
    private final KeyRegistry keys;

    AuditRoutes(AuditLog audit, KeyRegistry keys) {
        this.audit = audit;
        this.keys = keys;
    }

    /**
     * Called when the answer is complete (from the request logger, after error handlers set the final status). Only
     * server-chosen values go in: the route template (not the path), a run id only when it is one.
     */
    void record(Context ctx) {
        String method = ctx.method().name();
        if (!MUTATING.contains(method)) {
            return;
        }
        Caller caller = Callers.authenticated(ctx);
        String key = caller != null ? caller.name() : keys.enabled() ? null : Caller.OPEN.name();
        var endpoint = ctx.endpoints().matchedHttpEndpoint();
        // A request refused before it was matched (401, 429) has no endpoint yet: the table's template of its path.
        String route = endpoint != null ? endpoint.path : RouteScopes.templateOf(method, ctx.path());
        Object runId = ctx.attribute(RunRoutes.RUN_ID_ATTRIBUTE);
        if (runId == null && route != null && route.startsWith("/runs/{id}")) {
            runId = ctx.path().split("/")[2];
        }
        audit.append(new AuditEntry(Instant.now(), key, ctx.req().getRemoteAddr(), method, route,
                runId instanceof String id && RunIds.looksValid(id) ? id : null, ctx.statusCode()));
    }

    /** GET /audit?since=&limit=: entries at or after {@code since}, oldest first (admin only). */
    void list(Context ctx) {
        Instant since = null;
        String sinceParam = ctx.queryParam("since");
        if (sinceParam != null) {
            try {
                since = Instant.parse(sinceParam);
            } catch (DateTimeParseException e) {
                throw ApiException.badRequest("since", "must be an ISO-8601 instant like 2026-12-01T10:00:00Z");
            }
        }
        int limit = RunRoutes.DEFAULT_PAGE;
        String limitParam = ctx.queryParam("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > RunRoutes.MAX_PAGE) {
                throw ApiException.badRequest("limit", "must be 1.." + RunRoutes.MAX_PAGE);
            }
        }
        ctx.json(audit.read(since, limit));
    }
}
