package dev.lightrun.server.auth;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;

import java.util.Objects;

/** What {@link BrowserRules} decided for one request. */
public sealed interface Verdict {
    /**
     * Go on to the bearer check and the route.
     *
     * @param corsOrigin the {@code Origin} to echo in {@code Access-Control-Allow-Origin}; null for a request without one
     */
    record Allowed(String corsOrigin) implements Verdict {
    }

    /** A preflight from an allowed origin: answer it here (204 with the CORS headers), no route runs. */
    record Preflight(String corsOrigin) implements Verdict {
        public Preflight {
            Objects.requireNonNull(corsOrigin, "corsOrigin was not specified");
        }
    }

    /** Refused before the bearer check: an evil page gets this answer even when the token is valid. */
    record Refused(ApiError error, String message) implements Verdict {
        public Refused {
            Objects.requireNonNull(error, "error was not specified");
            Objects.requireNonNull(message, "message was not specified");
        }

        public ApiException toException() {
            return new ApiException(error, message);
        }
    }
}
