package dev.lightrun.server.http;

import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.RunnerException;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.auth.AuditLog;
import dev.lightrun.server.auth.BrowserRequest;
import dev.lightrun.server.auth.BrowserRules;
import dev.lightrun.server.auth.CorsHeaders;
import dev.lightrun.server.auth.FailedAuthLimiter;
import dev.lightrun.server.auth.KeyRegistry;
import dev.lightrun.server.auth.Loopback;
import dev.lightrun.server.auth.RouteScopes;
import dev.lightrun.server.auth.Verdict;
import dev.lightrun.server.callbacks.CallbackGuard;
import dev.lightrun.server.config.ServerConfig;
import dev.lightrun.server.logs.RunLogs;
import dev.lightrun.server.metrics.ScrapeToken;
import dev.lightrun.server.metrics.Telemetry;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.networks.NetworkService;
import dev.lightrun.server.runs.RunRequestRules;
import dev.lightrun.server.runs.RunService;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API on Javalin (Jetty 12, virtual threads): routes, the browser rules, then bearer auth against the keys and
 * a scope per route, one JSON error shape for every failure, one log line per request (method, path, status, time,
 * run id; never a body) and one audit line per mutating request.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final Logger requests = LoggerFactory.getLogger("dev.lightrun.server.requests");

    /** How long stopping waits for requests in flight to complete. */
    private static final long STOP_TIMEOUT_MS = 5_000;
    /** Connections waiting to be accepted (the kernel caps it at net.core.somaxconn). */
    private static final int ACCEPT_QUEUE = 1024;

    private HttpApi() {
    }

    /** Builds the app (not started). */
    public static Javalin create(ServerConfig config, RunService runs, ArtifactStore artifacts,
                                 NetworkService networks, RunLogs logs, CallbackGuard callbackGuard, String version,
                                 KeyRegistry keys, AuditLog audit, Telemetry telemetry) {
        RunRoutes runRoutes = new RunRoutes(runs,
                new RunRequestParser(new RunRequestRules(config.allowHostNetworks(), config.policy(), callbackGuard)),
                config.bodyLimitBytes());
        ArtifactRoutes artifactRoutes = new ArtifactRoutes(runs, artifacts);
        NetworkRoutes networkRoutes = new NetworkRoutes(networks);
        LogRoutes logRoutes = new LogRoutes(runs, logs);
        ReplicaRoutes replicaRoutes = new ReplicaRoutes(runs);
        BearerAuth auth = keys.enabled() ? new BearerAuth(keys, new FailedAuthLimiter(Clock.systemUTC())) : null;
        AuditRoutes auditRoutes = new AuditRoutes(audit, keys);
        BrowserRules browser = new BrowserRules(config.allowedOrigins(), config.allowedHosts(),
                Loopback.isLoopback(config.host()));
        byte[] openApi = loadOpenApi(version);
        ScrapeToken scrapeToken = ScrapeToken.of(config.metrics().token());
        return Javalin.create(app -> {
            configure(app, config);
            Dashboard.configure(app);
            MetricsRoute.observe(app, telemetry, requests, auditRoutes::record);
            app.routes.before(ctx -> {
                // The browser rules first: an evil page is refused even when its request carries a valid token.
                if (!applyBrowserRules(ctx, browser)) {
                    return;
                }
                if (MetricsRoute.scraper(ctx, scrapeToken)) {
                    Callers.set(ctx, MetricsRoute.SCRAPER);
                } else if (auth == null) {
                    Callers.set(ctx, Caller.OPEN);
                } else if (!RouteScopes.isPublic(ctx.method().name(), ctx.path()) && !Dashboard.isDashboard(ctx.path())) {
                    auth.check(ctx);
                }
            });
            // Who may call which route: one table (RouteScopes), checked once the route is known.
            app.routes.beforeMatched(ctx -> RouteScopes.check(Callers.of(ctx), ctx.method().name(),
                    ctx.endpoints().matchedHttpEndpoint().path));
            app.routes.get("/metrics", ctx -> MetricsRoute.scrape(ctx, telemetry));
            app.routes.get("/health", ctx -> health(ctx, runs, version));
            app.routes.post("/run", runRoutes::submit);
            app.routes.get("/runs", runRoutes::list);
            app.routes.get("/runs/{id}", runRoutes::get);
            app.routes.post("/runs/{id}/cancel", runRoutes::cancel);
            app.routes.delete("/runs/{id}", runRoutes::delete);
            app.routes.get("/runs/{id}/logs", logRoutes::get);
            app.routes.post("/runs/{id}/stop", runRoutes::stop);
            app.routes.post("/runs/{id}/pause", runRoutes::pause);
            app.routes.post("/runs/{id}/resume", runRoutes::resume);
            app.routes.post("/networks", networkRoutes::create);
            app.routes.get("/networks", networkRoutes::list);
            app.routes.get("/networks/{name}", networkRoutes::get);
            app.routes.delete("/networks/{name}", networkRoutes::delete);
            app.routes.post("/networks/cleanup", networkRoutes::cleanup);
            app.routes.get("/runs/{id}/artifacts", artifactRoutes::list);
            app.routes.get("/runs/{id}/artifacts/<path>", artifactRoutes::download);
            app.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
            app.routes.get("/audit", auditRoutes::list);
            app.routes.get("/replicas", replicaRoutes::list);
            app.routes.delete("/replicas/{name}", replicaRoutes::forget);
            registerErrors(app);
        });
    }

    /**
     * Applies {@link BrowserRules} to a request: throws its refusal, answers an allowed preflight here (false: nothing
     * more to do), or adds the CORS headers of an allowed origin (true: go on).
     */
    private static boolean applyBrowserRules(Context ctx, BrowserRules browser) {
        ctx.header(CorsHeaders.VARY, CorsHeaders.VARY_VALUE);
        String method = ctx.method().name();
        boolean hasBody = ctx.contentLength() > 0 || ctx.header("Transfer-Encoding") != null;
        BrowserRequest request = new BrowserRequest(method, ctx.header("Origin"), ctx.header("Host"),
                ctx.header("Content-Type"), hasBody,
                method.equals("OPTIONS") && ctx.header("Access-Control-Request-Method") != null);
        switch (browser.check(request)) {
            case Verdict.Refused refused -> throw refused.toException();
            case Verdict.Preflight preflight -> {
                CorsHeaders.preflight(preflight.corsOrigin()).forEach(ctx::header);
                ctx.status(204);
                ctx.skipRemainingHandlers();
                return false;
            }
            case Verdict.Allowed allowed -> {
                if (allowed.corsOrigin() != null) {
                    CorsHeaders.response(allowed.corsOrigin()).forEach(ctx::header);
                }
            }
        }
        return true;
    }

    private static void configure(JavalinConfig app, ServerConfig config) {
        app.concurrency.useVirtualThreads = true;
        app.jsonMapper(new JavalinJackson(Json.MAPPER, true));
        app.http.maxRequestSize = config.bodyLimitBytes();
        // Downloads stream raw from disk with their exact Content-Length; no compression layer in between.
        app.http.compressionStrategy = CompressionStrategy.NONE;
        app.startup.showJavalinBanner = false;
        app.jetty.host = config.host();
        app.jetty.port = config.port();
        // Jetty's per-connection header cache ignores letter case by default: after one request with the right token,
        // a keep-alive connection accepted the token in any case (the cached field, right case, reached BearerAuth).
        app.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheCaseSensitive(true));
        // The JVM's default listen backlog is 50: a burst of clients (200 POST /run at once) overflows it, the kernel
        // falls back to SYN cookies and some connections are reset before a byte is read. A deeper accept queue.
        app.jetty.addConnector((server, http) -> {
            var connector = new ServerConnector(server,
                    new HttpConnectionFactory(http));
            connector.setHost(config.host());
            connector.setPort(config.port());
            connector.setAcceptQueueSize(ACCEPT_QUEUE);
            return connector;
        });
        // A graceful stop: answers still being written (a sync run's final state, cancelled by the shutdown) reach
        // their clients before the connections close. Bounded, so a log follower cannot hold the stop.
        app.jetty.modifyServer(server -> {
            server.insertHandler(new GracefulHandler());
            server.setStopTimeout(STOP_TIMEOUT_MS);
        });
    }

    private static void health(Context ctx, RunService runs, String version) {
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            EngineInfo engine = runs.engine();
            body.put("status", "ok");
            body.put("docker", true);
            body.put("version", version);
            body.put("dockerVersion", engine.version());
            body.put("dockerApiVersion", engine.apiVersion());
            runs.replicas().self().ifPresent(name -> {
                body.put("replica", name);
                body.put("replicas", ReplicaRoutes.forHealth(runs));
            });
            List<PoolStats> pools = runs.pools();
            if (!pools.isEmpty()) {
                body.put("pools", pools.stream().map(HttpApi::pool).toList());
            }
            ctx.json(body);
        } catch (RuntimeException e) {
            body.put("status", "degraded");
            body.put("docker", false);
            body.put("version", version);
            body.put("error", e.getMessage());
            ctx.status(503).json(body);
        }
    }

    /** One warm pool as /health shows it. */
    private static Map<String, Object> pool(PoolStats pool) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("image", pool.profile().image());
        body.put("size", pool.profile().size());
        body.put("idle", pool.idle());
        body.put("refilling", pool.refilling());
        body.put("hits", pool.hits());
        body.put("misses", pool.misses());
        body.put("failures", pool.failures());
        body.put("lastRefillMs", pool.lastRefill().toMillis());
        body.put("state", pool.state());
        return body;
    }

    private static void registerErrors(JavalinConfig app) {
        app.routes.exception(ApiException.class, (e, ctx) -> render(ctx, e));
        app.routes.exception(RunnerException.class, (e, ctx) -> render(ctx, ApiException.fromRunner(e)));
        // Javalin answers an unknown route by throwing a 404 HttpResponseException (the error(404) handler below
        // never sees an empty result), and a body over the limit with a 413 one.
        app.routes.exception(HttpResponseException.class, (e, ctx) -> render(ctx, switch (e.getStatus()) {
            case 404 -> ApiException.notFound(e.getMessage());
            case 413 -> new ApiException(ApiError.PAYLOAD_TOO_LARGE, e.getMessage());
            default -> new ApiException(e.getStatus() >= 500 ? ApiError.INTERNAL_ERROR : ApiError.BAD_REQUEST, e.getMessage());
        }));
        app.routes.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} - failed", ctx.method().name(), ctx.path(), e);
            render(ctx, new ApiException(ApiError.INTERNAL_ERROR, "the server failed to handle this request; see its log"));
        });
        app.routes.error(405, ctx -> render(ctx, new ApiException(ApiError.METHOD_NOT_ALLOWED,
                ctx.method().name() + " is not allowed on " + ctx.path())));
    }

    /** The one rendering of every error: {@code {"error", "message", "details"}}, with Retry-After where it helps. */
    private static void render(Context ctx, ApiException e) {
        ApiError error = e.error();
        if (error == ApiError.INTERNAL_ERROR && e.getCause() != null) {
            log.error("{} {} - failed: {}", ctx.method().name(), ctx.path(), e.getMessage());
        }
        if (e.retryAfter() != null) {
            ctx.header("Retry-After", Long.toString(Math.max(1, (e.retryAfter().toMillis() + 999) / 1000)));
        } else if (error.retryable()) {
            ctx.header("Retry-After", "5");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.code());
        body.putAll(e.fields());
        body.put("message", e.getMessage());
        if (!e.details().isEmpty()) {
            body.put("details", e.details());
        }
        ctx.status(error.status()).json(body);
    }

    private static byte[] loadOpenApi(String version) {
        try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("${version}", version).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
