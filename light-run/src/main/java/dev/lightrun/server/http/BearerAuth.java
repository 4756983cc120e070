package dev.lightrun.server.http;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * Checks {@code Authorization: Bearer <token>} on every route but /health. The comparison is constant-time over
 * SHA-256 digests, so neither the content nor the length of the token leaks through timing.
 */
final class BearerAuth {
    private static final String PREFIX = "Bearer ";
    private final byte[] expectedDigest;

    BearerAuth(String token) {
        this.expectedDigest = sha256(token);
    }

    /** The server's one token (--token) is a key named admin with scope admin. */
    static final Caller TOKEN_HOLDER = new Caller("admin", Set.of(Scope.ADMIN), Quota.UNLIMITED);

    void check(Context ctx) {
        String header = ctx.header("Authorization");
        boolean ok = header != null && header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
                && !header.substring(PREFIX.length()).isBlank()
                && MessageDigest.isEqual(expectedDigest, sha256(header.substring(PREFIX.length()).trim()));
        if (!ok) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(ApiError.UNAUTHORIZED, "missing or invalid bearer token");
        }
        Callers.set(ctx, TOKEN_HOLDER);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
