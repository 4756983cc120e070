package dev.lightrun.server.http;

import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.RouteScopes;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.model.Scope;
import dev.lightrun.server.runs.RunRequest;
import dev.lightrun.server.runs.RunService;
import io.javalin.http.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** The run routes: submit (sync or detached), list, get, cancel, delete; each only on runs the caller may see. */
final class RunRoutes {
    static final String RUN_ID_ATTRIBUTE = "runId";

    private final RunService runs;
    private final RunRequestParser parser;
    private final long bodyLimitBytes;

    RunRoutes(RunService runs, RunRequestParser parser, long bodyLimitBytes) {
        this.runs = runs;
        this.parser = parser;
        this.bodyLimitBytes = bodyLimitBytes;
    }

    /**
     * POST /run. The body is parsed whatever its Content-Type (the original's clients, and curl without -H, send
     * none or form encoding); a request from a web page (with an Origin) must say application/json, which the browser
     * rules check before this runs. A sync run answers 200 with the final state; if the client goes away, the run still
     * finishes and stays listed.
     */
    void submit(Context ctx) throws InterruptedException {
        String declared = ctx.header("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > bodyLimitBytes) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("$", "invalid Content-Length");
            }
        }
        RunRequest request = parser.parse(readBodyWithLimit(ctx));
        Caller caller = Callers.of(ctx);
        if (!request.run().isEmpty() && !caller.may(Scope.BUILD)) {
            throw RouteScopes.forbidden(Scope.BUILD, "build steps (run)");
        }
        RunService.Submitted submitted;
        try {
            submitted = runs.submit(request, caller);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("$", e.getMessage());
        }
        String id = submitted.accepted().id();
        ctx.attribute(RUN_ID_ATTRIBUTE, id);
        if (request.isDetached()) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("id", id);
            body.put("status", submitted.accepted().status());
            body.put("url", "/runs/" + id);
            ctx.status(202).header("Location", "/runs/" + id).json(body);
            return;
        }
        try {
            ctx.json(submitted.finished().get());
        } catch (ExecutionException e) {
            throw new IllegalStateException("run " + id + " could not be finished", e.getCause());
        }
    }

    /** Reads at most the limit (plus one buffer) into memory, whatever Content-Length claimed. */
    private byte[] readBodyWithLimit(Context ctx) {
        try (var in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bodyLimitBytes + 1));
            if (body.length > bodyLimitBytes) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("$", "could not read the body: " + e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return new ApiException(ApiError.PAYLOAD_TOO_LARGE, "request body is larger than " + bodyLimitBytes + " bytes");
    }

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    /**
     * GET /runs?status=&owner=&limit=&cursor=: a JSON array (as the original light-run answers), newest first; the next
     * page's cursor is in the {@code X-Next-Cursor} header and a {@code Link: <...>; rel="next"} header. A key lists
     * only its own runs; an admin lists every tenant's, or one tenant's with {@code owner}.
     */
    void list(Context ctx) {
        RunStatus status = null;
        String statusParam = ctx.queryParam("status");
        if (statusParam != null) {
            status = Arrays.stream(RunStatus.values()).filter(s -> s.json().equals(statusParam)).findFirst()
                    .orElseThrow(() -> ApiException.badRequest("status", "must be queued, running, succeeded, failed or cancelled"));
        }
        int limit = DEFAULT_PAGE;
        String limitParam = ctx.queryParam("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw ApiException.badRequest("limit", "must be 1.." + MAX_PAGE);
            }
        }
        String cursor = ctx.queryParam("cursor");
        if (cursor != null && !RunIds.looksValid(cursor)) {
            throw ApiException.badRequest("cursor", "must be a run id from X-Next-Cursor");
        }
        String ownerParam = ctx.queryParam("owner");
        if (ownerParam != null && !ApiKey.isValidName(ownerParam)) {
            throw ApiException.badRequest("owner", "must be a key name");
        }
        Caller caller = Callers.of(ctx);
        if (!caller.isAdmin() && ownerParam != null && !ownerParam.equals(caller.name())) {
            throw RouteScopes.forbidden(Scope.ADMIN, "listing another key's runs");
        }
        var page = runs.page(status, caller.isAdmin() ? ownerParam : caller.name(), limit, cursor);
        if (page.next() != null) {
            ctx.header("X-Next-Cursor", page.next());
            ctx.header("Link", "</runs?" + (statusParam == null ? "" : "status=" + statusParam + "&")
                    + (ownerParam == null ? "" : "owner=" + ownerParam + "&") + "limit=" + limit
                    + "&cursor=" + page.next() + ">; rel=\"next\"");
        }
        ctx.json(page.runs());
    }

    /** POST /runs/{id}/stop {signal?, grace? (ms, <= 300000)}: signal, then kill after the grace period. */
    void stop(Context ctx) {
        // The body first: a bad one is 400 whatever the id (and says nothing of whether that run exists).
        var body = JsonBodies.object(ctx.bodyAsBytes(), Set.of("signal", "grace"), true);
        String signal = JsonBodies.text(body, "signal");
        if (signal != null && !signal.matches("(SIG)?[A-Z0-9]{1,10}")) {
            throw ApiException.badRequest("signal", "must be a signal name like SIGTERM or INT");
        }
        Long grace = JsonBodies.integer(body, "grace");
        if (grace != null && (grace < 0 || grace > 300_000)) {
            throw ApiException.badRequest("grace", "must be 0..300000 ms");
        }
        String id = visibleRun(ctx, runs).id();
        runs.stop(id, signal == null ? "SIGTERM" : signal, Duration.ofMillis(grace == null ? 10_000 : grace));
        ctx.status(204);
    }

    void pause(Context ctx) {
        noContent(ctx, runs::pause);
    }

    void resume(Context ctx) {
        noContent(ctx, runs::resume);
    }

    void cancel(Context ctx) {
        noContent(ctx, runs::cancel);
    }

    void delete(Context ctx) {
        noContent(ctx, runs::delete);
    }

    void get(Context ctx) {
        ctx.json(visibleRun(ctx, runs));
    }

    /**
     * The run of the path, when the caller may see it: every route on one run goes through here before it acts.
     * Another tenant's run is 404 with the body of an unknown id (never 403), so ids cannot be probed.
     */
    static RunState visibleRun(Context ctx, RunService runs) {
        String id = runId(ctx);
        RunState run = runs.get(id);
        if (!Callers.of(ctx).sees(run)) {
            throw ApiException.runNotFound(id);
        }
        return run;
    }

    /** The run id of the path, also noted for the request log line. */
    static String runId(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.attribute(RUN_ID_ATTRIBUTE, id);
        return id;
    }

    private void noContent(Context ctx, Consumer<String> action) {
        action.accept(visibleRun(ctx, runs).id());
        ctx.status(204);
    }
}
