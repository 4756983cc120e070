package dev.lightrun.server.http;

import dev.lightrun.server.auth.FailedAuthLimiter;
import dev.lightrun.server.auth.KeyRegistry;
import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import io.javalin.http.Context;

import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <token>} against the keys in force ({@link KeyRegistry}: the server's token and
 * the keys file's) and sets the request's {@link Caller}. Failed attempts are limited per source address
 * ({@link FailedAuthLimiter}): a limited address gets 429 with Retry-After, whatever token it sends.
 */
final class BearerAuth {
    private static final String PREFIX = "Bearer ";
    private final KeyRegistry keys;
    private final FailedAuthLimiter limiter;

    BearerAuth(KeyRegistry keys, FailedAuthLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    void check(Context ctx) {
        // The socket's address: a forwarding header is the client's word, and would let it pick its own bucket.
        String address = ctx.req().getRemoteAddr();
        limiter.blockedFor(address).ifPresent(wait -> {
            throw new ApiException(ApiError.TOO_MANY_REQUESTS,
                    "too many failed authentications from this address; retry later").withRetryAfter(wait);
        });
        String header = ctx.header("Authorization");
        boolean presented = header != null && header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
                && !header.substring(PREFIX.length()).isBlank();
        Optional<Caller> caller = presented ? keys.ring().find(header.substring(PREFIX.length()).trim())
                : Optional.empty();
        if (caller.isEmpty()) {
            // Only a bearer token that matched no key is a guess; no header or another scheme guesses nothing.
            if (presented) {
                limiter.failed(address);
            }
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(ApiError.UNAUTHORIZED, "missing or invalid bearer token");
        }
        Callers.set(ctx, caller.get());
    }
}
