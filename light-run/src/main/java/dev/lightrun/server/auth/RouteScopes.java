package dev.lightrun.server.auth;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Scope;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which scope each route needs, by method and route template as registered ({@code POST /runs/{id}/cancel}). The one
 * table: the HTTP layer checks it before every matched route, and a route missing from it needs {@code admin} (closed
 * by default). Build steps in a {@code POST /run} also need {@code build}; the run routes check that once the body is
 * read. Which runs a key may touch is not a scope: a key only ever sees its own (see {@link Caller#sees}).
 */
public final class RouteScopes {
    /**
     * Routes anyone may call, without a key: liveness, the API's description, and the redirect to the dashboard (whose
     * static files under /ui are no route: they need no key either, and the page sends one on each API call).
     */
    private static final Set<String> PUBLIC = Set.of("GET /health", "GET /openapi.json", "GET /", "GET /ui",
            "GET /ui/<file>");

    private static final Map<String, Scope> TABLE = Map.ofEntries(
            Map.entry("POST /run", Scope.RUN),
            Map.entry("POST /runs/{id}/cancel", Scope.RUN),
            Map.entry("POST /runs/{id}/stop", Scope.RUN),
            Map.entry("POST /runs/{id}/pause", Scope.RUN),
            Map.entry("POST /runs/{id}/resume", Scope.RUN),
            Map.entry("DELETE /runs/{id}", Scope.RUN),
            Map.entry("GET /runs", Scope.READ),
            Map.entry("GET /runs/{id}", Scope.READ),
            Map.entry("GET /runs/{id}/logs", Scope.READ),
            Map.entry("GET /runs/{id}/artifacts", Scope.READ),
            Map.entry("GET /runs/{id}/artifacts/<path>", Scope.READ),
            Map.entry("POST /networks", Scope.NETWORKS),
            Map.entry("GET /networks", Scope.NETWORKS),
            Map.entry("GET /networks/{name}", Scope.NETWORKS),
            Map.entry("DELETE /networks/{name}", Scope.NETWORKS),
            Map.entry("POST /networks/cleanup", Scope.NETWORKS),
            Map.entry("GET /audit", Scope.ADMIN),
            Map.entry("GET /replicas", Scope.ADMIN),
            Map.entry("DELETE /replicas/{name}", Scope.ADMIN),
            // Or the metrics token, which acts as an admin on this one route (http.MetricsRoute).
            Map.entry("GET /metrics", Scope.ADMIN));

    private RouteScopes() {
    }

    /** Whether the route needs no key at all. */
    public static boolean isPublic(String method, String path) {
        return PUBLIC.contains(method + " " + path);
    }

    /** The scope the route needs; empty for a public one; {@link Scope#ADMIN} for one the table does not know. */
    public static Optional<Scope> required(String method, String template) {
        // Javalin answers HEAD with the GET handler: it needs what GET needs.
        String route = (method.equals("HEAD") ? "GET" : method) + " " + template;
        if (PUBLIC.contains(route)) {
            return Optional.empty();
        }
        return Optional.of(TABLE.getOrDefault(route, Scope.ADMIN));
    }

    /**
     * The template of the table's route that {@code path} would reach, or null: for a request refused before Javalin
     * matched it (authentication runs first), so its audit line still names the route and not the raw path.
     */
    public static String templateOf(String method, String path) {
        String[] segments = path.split("/", -1);
        for (String route : TABLE.keySet()) {
            int space = route.indexOf(' ');
            if (route.substring(0, space).equals(method) && matches(route.substring(space + 1).split("/", -1), segments)) {
                return route.substring(space + 1);
            }
        }
        return null;
    }

    /** Segments after the leading slash: a {@code {param}} takes one non-empty segment, {@code <param>} the rest. */
    private static boolean matches(String[] template, String[] path) {
        if (path.length < 2 || !path[0].isEmpty()) {
            return false;
        }
        for (int i = 1; i < template.length; i++) {
            if (template[i].startsWith("<")) {
                return path.length > i && !path[i].isEmpty();
            }
            if (i >= path.length || path[i].isEmpty()
                    || !(template[i].startsWith("{") || template[i].equals(path[i]))) {
                return false;
            }
        }
        return template.length == path.length;
    }

    /** Whether the table names the route (public or with a scope). */
    public static boolean knows(String method, String template) {
        String route = method + " " + template;
        return PUBLIC.contains(route) || TABLE.containsKey(route);
    }

    /** Throws 403 forbidden naming the scope when the caller lacks the route's. */
    public static void check(Caller caller, String method, String template) {
        required(method, template).filter(scope -> !caller.may(scope)).ifPresent(scope -> {
            throw forbidden(scope, method + " " + template);
        });
    }

    /** 403 {@code {"error": "forbidden", "scope": "<scope>", "message": ...}}. */
    public static ApiException forbidden(Scope scope, String what) {
        return new ApiException(ApiError.FORBIDDEN, what + " needs a key with scope " + scope.json())
                .withField("scope", scope.json());
    }
}
