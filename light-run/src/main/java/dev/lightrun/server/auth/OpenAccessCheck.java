package dev.lightrun.server.auth;

import java.util.Optional;

/**
 * Whether a server may start without a token: only on a loopback address, where nothing but this machine reaches it
 * (and {@link BrowserRules} keeps this machine's browser out), unless the operator says {@code --insecure-no-auth}.
 * Thread-safe (stateless).
 */
public final class OpenAccessCheck {
    private OpenAccessCheck() {
    }

    /** Why not to start, one line to follow "invalid --token / LIGHT_RUN_TOKEN: ", or empty. */
    public static Optional<String> refusal(String listenHost, boolean hasToken, boolean insecureNoAuth) {
        if (hasToken || insecureNoAuth || Loopback.isLoopback(listenHost)) {
            return Optional.empty();
        }
        return Optional.of("required when the host (" + listenHost + ") is not a loopback address, or anyone who"
                + " reaches it can start containers; set a token, listen on 127.0.0.1, or accept an open server with"
                + " --insecure-no-auth / LIGHT_RUN_INSECURE_NO_AUTH=true");
    }

    /** The warning of an open server (no token), or empty when it has one. */
    public static Optional<String> warning(String listenHost, int port, boolean hasToken) {
        if (hasToken) {
            return Optional.empty();
        }
        if (Loopback.isLoopback(listenHost)) {
            return Optional.of("no token set: the API is open to every program on this machine (" + listenHost + ":"
                    + port + "); set LIGHT_RUN_TOKEN or --token");
        }
        return Optional.of("INSECURE: no token set and listening on " + listenHost + ":" + port + " (--insecure-no-auth):"
                + " anyone who can reach it can start containers; set LIGHT_RUN_TOKEN or --token");
    }
}
