package dev.lightrun.server.auth;

import java.time.Duration;
import java.util.Map;

/**
 * The CORS headers of answers to allowed origins: the origin echoed (never {@code *}), no credentials (the API takes a
 * bearer header, not cookies), and for a preflight what a page may send. {@code Vary: Origin} goes on every answer,
 * since whether these headers are there depends on the Origin. Thread-safe (stateless).
 */
public final class CorsHeaders {
    public static final String VARY = "Vary";
    public static final String VARY_VALUE = "Origin";
    /** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours; 10 minutes is plenty). */
    static final Duration PREFLIGHT_MAX_AGE = Duration.ofMinutes(10);
    /** Headers of our answers a page may read beyond the safelisted ones. */
    private static final String EXPOSED = "Location, Retry-After, X-Next-Cursor, Link, Content-Range,"
            + " X-Light-Run-Log-Dropped, WWW-Authenticate";

    private CorsHeaders() {
    }

    /** Headers of an answer (success or error) to a request from an allowed origin. */
    public static Map<String, String> response(String origin) {
        return Map.of("Access-Control-Allow-Origin", origin, "Access-Control-Expose-Headers", EXPOSED);
    }

    /** Headers of the 204 answer to a preflight from an allowed origin. */
    public static Map<String, String> preflight(String origin) {
        return Map.of("Access-Control-Allow-Origin", origin,
                "Access-Control-Allow-Methods", "GET, POST, DELETE",
                "Access-Control-Allow-Headers", "Authorization, Content-Type, Range",
                "Access-Control-Max-Age", Long.toString(PREFLIGHT_MAX_AGE.toSeconds()));
    }
}
