package dev.lightrun.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;

import java.util.Map;

/**
 * The web dashboard: static files from the jar's {@code ui/} folder at {@code /ui/}, and {@code /} sent there. The
 * files hold no secret and need no token (the page asks for one and sends it as a bearer header on each API call, so
 * the API's keys, scopes and isolation apply unchanged); the browser rules (Host, Origin) still apply to them.
 */
final class Dashboard {
    static final String PATH = "/ui";

    /**
     * Strict: only this server's own scripts, styles and API; no inline script or style (the pages have none: charts
     * are SVG attributes), no framing, no base tag, no form posting elsewhere. Images may also be {@code data:} and
     * {@code blob:} URLs (an artifact fetched with the bearer header becomes a blob).
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
            + " form-action 'self'";

    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            // The files change with the jar: revalidate every time (cheap, they are small) so an upgrade shows at once.
            "Cache-Control", "no-cache");

    private Dashboard() {
    }

    static void configure(JavalinConfig app) {
        app.staticFiles.add(files -> {
            files.hostedPath = PATH;
            files.directory = "/ui";
            files.location = Location.CLASSPATH;
            files.headers = HEADERS;
        });
        // Not a route for /ui itself: routes ignore a trailing slash, so one would catch /ui/ before the files.
        app.routes.get("/", ctx -> ctx.redirect(PATH + "/"));
    }

    /** Whether a path is the dashboard's (or its redirect), which needs no token. */
    static boolean isDashboard(String path) {
        return path.equals("/") || path.equals(PATH) || path.startsWith(PATH + "/");
    }
}
