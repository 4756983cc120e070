package dev.lightrun.server.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The separate token of {@code GET /metrics} ({@code LIGHT_RUN_METRICS_TOKEN}): a scraper holds it instead of the
 * admin token. Compared in constant time over SHA-256 digests, like the API token. {@link #toString()} masks it.
 */
public final class ScrapeToken {
    private static final String PREFIX = "Bearer ";
    private final byte[] digest;

    /** Null or blank: no metrics token (then only an admin may scrape). */
    public static ScrapeToken of(String token) {
        return token == null || token.isBlank() ? null : new ScrapeToken(token);
    }

    private ScrapeToken(String token) {
        this.digest = sha256(token.trim());
    }

    /** Whether an {@code Authorization} header carries this token. */
    public boolean matches(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return false;
        }
        String presented = authorization.substring(PREFIX.length()).trim();
        return !presented.isEmpty() && MessageDigest.isEqual(digest, sha256(presented));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ScrapeToken[<masked>]";
    }
}
