package dev.lightrun.server.http;

import dev.lightrun.server.runs.RunRequest;
import dev.lightrun.server.runs.RunService;
import dev.lightrun.server.runs.RunState;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** The run routes: submit (sync or detached), list, get, cancel, delete. */
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
     * none or form encoding). A sync run answers 200 with the final state; if the client goes away, the run still
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
        RunService.Submitted submitted;
        try {
            submitted = runs.submit(request);
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
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("$", "could not read the body: " + e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return new ApiException(413, "payload_too_large", "request body is larger than " + bodyLimitBytes + " bytes");
    }

    void list(Context ctx) {
        ctx.json(runs.list());
    }

    void get(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.attribute(RUN_ID_ATTRIBUTE, id);
        RunState state = runs.get(id);
        ctx.json(state);
    }

    void cancel(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.attribute(RUN_ID_ATTRIBUTE, id);
        runs.cancel(id);
        ctx.status(204);
    }

    void delete(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.attribute(RUN_ID_ATTRIBUTE, id);
        runs.delete(id);
        ctx.status(204);
    }
}
