package dev.lightrun.server.http;

import dev.lightrun.server.model.ApiException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

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

    /** The dashboard's file names: a folder, a name, one of the types below; nothing else is looked up. */
    private static final Pattern FILE = Pattern.compile("(js/)?[a-z0-9][a-z0-9-]*\\.(html|css|js|svg)");
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8", "js", "text/javascript; charset=utf-8", "svg", "image/svg+xml");

    static void configure(JavalinConfig app) {
        // Routes reading the jar's ui/ folder, not Jetty's static files: those mount the whole fat jar as a zip file
        // system that indexes its ~110,000 entries and keeps them (~30 MiB of live heap, measured with a class
        // histogram: ZipFileSystem$IndexNode and their byte[] names) for a dozen small files.
        app.routes.get(PATH, Dashboard::index);
        app.routes.get(PATH + "/<file>", ctx -> serve(ctx, ctx.pathParam("file")));
        app.routes.get("/", ctx -> ctx.redirect(PATH + "/"));
    }

    /** {@code /ui/} is the page; {@code /ui} goes there first, so the page's relative links resolve under it. */
    private static void index(Context ctx) {
        if (!ctx.path().endsWith("/")) {
            ctx.redirect(PATH + "/");
            return;
        }
        serve(ctx, "index.html");
    }

    private static void serve(Context ctx, String file) {
        if (!FILE.matcher(file).matches()) {
            throw ApiException.notFound("no dashboard file " + PATH + "/" + file);
        }
        try (InputStream in = Dashboard.class.getResourceAsStream("/ui/" + file)) {
            if (in == null) {
                throw ApiException.notFound("no dashboard file " + PATH + "/" + file);
            }
            HEADERS.forEach(ctx::header);
            ctx.contentType(TYPES.get(file.substring(file.lastIndexOf('.') + 1))).result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a path is the dashboard's (or its redirect), which needs no token. */
    static boolean isDashboard(String path) {
        return path.equals("/") || path.equals(PATH) || path.startsWith(PATH + "/");
    }
}
