package dev.lightrun.server.http;

import dev.lightrun.server.metrics.ScrapeToken;
import dev.lightrun.server.metrics.Telemetry;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import dev.lightrun.server.tracing.HttpTracing;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import org.slf4j.Logger;

import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code GET /metrics} (an admin, or the holder of the metrics token), and what every request reports: the request
 * log line, its timing by route template and status, and its span when tracing is on.
 */
final class MetricsRoute {
    private static final String SPAN_ATTRIBUTE = "light-run.span";
    private static final String METRICS_PATH = "/metrics";

    /**
     * Who a scrape with the metrics token acts as: an admin, on this one route only ({@link #scraper} matches nothing
     * else), so the scope table lets it read the metrics and nothing more.
     */
    static final Caller SCRAPER = new Caller("metrics-scraper", Set.of(Scope.ADMIN), Quota.UNLIMITED);

    private MetricsRoute() {
    }

    /** Whether this request is a scrape with the metrics token (it then needs no other authentication). */
    static boolean scraper(Context ctx, ScrapeToken token) {
        return token != null && ctx.path().equals(METRICS_PATH) && token.matches(ctx.header("Authorization"));
    }

    static void scrape(Context ctx, Telemetry telemetry) {
        if (!Callers.of(ctx).isAdmin()) {
            throw new ApiException(ApiError.FORBIDDEN, "reading metrics needs scope admin or the metrics token")
                    .withField("scope", "admin");
        }
        ctx.contentType(Telemetry.CONTENT_TYPE).result(telemetry.scrape());
    }

    /**
     * Registers the first before-handler (a request's span, when tracing is on, so that even a 401 is traced) and the
     * request logger: one log line (method, path, status, time, run id; never a body), the timer, the span's end, then
     * {@code alsoAfterEach} (the audit line): Javalin keeps one request logger.
     */
    static void observe(JavalinConfig app, Telemetry telemetry, Logger requests, Consumer<Context> alsoAfterEach) {
        HttpTracing tracing = telemetry.httpTracing().orElse(null);
        if (tracing != null) {
            app.routes.before(ctx -> ctx.attribute(SPAN_ATTRIBUTE, tracing.begin(ctx.method().name(), ctx::header)));
        }
        app.requestLogger.http((ctx, ms) -> {
            Object runId = ctx.attribute(RunRoutes.RUN_ID_ATTRIBUTE);
            String method = ctx.method().name();
            int status = ctx.statusCode();
            requests.info("{} {} {} {} ms{}", method, ctx.path(), status, Math.round(ms),
                    runId == null ? "" : " run=" + runId);
            Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
            String route = endpoint == null ? null : endpoint.path;
            telemetry.http().record(method, route, status, Math.round(ms * 1_000_000));
            alsoAfterEach.accept(ctx);
            if (tracing != null) {
                HttpTracing.Request span = ctx.attribute(SPAN_ATTRIBUTE);
                if (span != null) {
                    span.end(method, route, status);
                }
            }
        });
    }
}
