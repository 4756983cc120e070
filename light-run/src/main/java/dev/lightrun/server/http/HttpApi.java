package dev.lightrun.server.http;

import dev.lightrun.runner.EngineInfo;
import dev.lightrun.server.artifacts.ArtifactStore;
import dev.lightrun.server.config.ServerConfig;
import dev.lightrun.server.runs.RunException;
import dev.lightrun.server.runs.RunRequestRules;
import dev.lightrun.server.runs.RunService;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API on Javalin (Jetty 12, virtual threads): routes, bearer auth, one JSON error shape for every failure,
 * one log line per request (method, path, status, time, run id; never a body).
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
                                 dev.lightrun.server.networks.NetworkService networks,
                                 dev.lightrun.server.logs.RunLogs logs,
                                 dev.lightrun.server.callbacks.CallbackGuard callbackGuard, String version) {
        RunRoutes runRoutes = new RunRoutes(runs,
                new RunRequestParser(new RunRequestRules(config.allowHostNetworks(), config.policy(), callbackGuard)),
                config.bodyLimitBytes());
        ArtifactRoutes artifactRoutes = new ArtifactRoutes(runs, artifacts);
        NetworkRoutes networkRoutes = new NetworkRoutes(networks);
        LogRoutes logRoutes = new LogRoutes(runs, logs);
        BearerAuth auth = config.token() == null ? null : new BearerAuth(config.token());
        byte[] openApi = loadOpenApi(version);
        return Javalin.create(app -> {
            configure(app, config);
            app.routes.before(ctx -> {
                if (auth != null && !ctx.path().equals("/health")) {
                    auth.check(ctx);
                }
            });
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
            registerErrors(app);
        });
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
            var connector = new org.eclipse.jetty.server.ServerConnector(server,
                    new org.eclipse.jetty.server.HttpConnectionFactory(http));
            connector.setHost(config.host());
            connector.setPort(config.port());
            connector.setAcceptQueueSize(ACCEPT_QUEUE);
            return connector;
        });
        // A graceful stop: answers still being written (a sync run's final state, cancelled by the shutdown) reach
        // their clients before the connections close. Bounded, so a log follower cannot hold the stop.
        app.jetty.modifyServer(server -> {
            server.insertHandler(new org.eclipse.jetty.server.handler.GracefulHandler());
            server.setStopTimeout(STOP_TIMEOUT_MS);
        });
        app.requestLogger.http((ctx, ms) -> {
            Object runId = ctx.attribute(RunRoutes.RUN_ID_ATTRIBUTE);
            requests.info("{} {} {} {} ms{}", ctx.method().name(), ctx.path(), ctx.statusCode(), Math.round(ms),
                    runId == null ? "" : " run=" + runId);
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
            ctx.json(body);
        } catch (RuntimeException e) {
            body.put("status", "degraded");
            body.put("docker", false);
            body.put("version", version);
            body.put("error", e.getMessage());
            ctx.status(503).json(body);
        }
    }

    private static void registerErrors(JavalinConfig app) {
        app.routes.exception(ApiException.class, (e, ctx) -> render(ctx, e.status(), e.code(), e.getMessage(), e.details()));
        app.routes.exception(RunException.class, (e, ctx) -> {
            if (e.kind() == RunException.Kind.TOO_MANY || e.kind() == RunException.Kind.UNAVAILABLE) {
                // A queue slot frees within seconds for typical runs; a restart takes about as long.
                ctx.header("Retry-After", "5");
            }
            render(ctx,
                    switch (e.kind()) {
                        case FORBIDDEN -> 403;
                        case NOT_FOUND -> 404;
                        case CONFLICT -> 409;
                        case TOO_MANY -> 429;
                        case UNAVAILABLE -> 503;
                    },
                    e.code() != null ? e.code() : switch (e.kind()) {
                        case FORBIDDEN -> "forbidden";
                        case NOT_FOUND -> "not_found";
                        case CONFLICT -> "conflict";
                        case TOO_MANY -> "too_many_requests";
                        case UNAVAILABLE -> "unavailable";
                    }, e.getMessage(), List.of());
        });
        app.routes.exception(dev.lightrun.runner.RunnerException.class, (e, ctx) -> {
            int status = switch (e.code()) {
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
                case INVALID_REQUEST -> 400;
                case DAEMON_UNREACHABLE -> 503;
                default -> 500;
            };
            if (status == 500) {
                log.error("{} {} - failed: {}", ctx.method().name(), ctx.path(), e.getMessage());
            }
            render(ctx, status, switch (status) {
                case 404 -> "not_found";
                case 409 -> "conflict";
                case 400 -> "bad_request";
                case 503 -> "docker_unavailable";
                default -> "internal_error";
            }, e.getMessage(), List.of());
        });
        // Javalin answers an unknown route by throwing a 404 HttpResponseException (the error(404) handler below
        // never sees an empty result), so the documented code is given here.
        app.routes.exception(HttpResponseException.class, (e, ctx) -> render(ctx, e.getStatus(),
                switch (e.getStatus()) {
                    case 404 -> "not_found";
                    case 413 -> "payload_too_large";
                    default -> "http_" + e.getStatus();
                }, e.getMessage(), List.of()));
        app.routes.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} - failed", ctx.method().name(), ctx.path(), e);
            render(ctx, 500, "internal_error", "the server failed to handle this request; see its log", List.of());
        });
        app.routes.error(405, ctx -> render(ctx, 405, "method_not_allowed",
                ctx.method().name() + " is not allowed on " + ctx.path(), List.of()));
    }

    private static void render(Context ctx, int status, String code, String message, List<?> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        if (!details.isEmpty()) {
            body.put("details", details);
        }
        ctx.status(status).json(body);
    }

    private static byte[] loadOpenApi(String version) {
        try (InputStream in = HttpApi.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("${version}", version).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
