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

    /** The one-line reason not to start, or empty. */
    public static Optional<String> refusal(String listenHost, boolean hasToken, boolean insecureNoAuth) {
        if (hasToken || insecureNoAuth || Loopback.isLoopback(listenHost)) {
            return Optional.empty();
        }
        return Optional.of("no token set and --host " + listenHost + " is not a loopback address: anyone who reaches"
                + " it could start containers; set --token or LIGHT_RUN_TOKEN, listen on 127.0.0.1, or accept it with"
                + " --insecure-no-auth (LIGHT_RUN_INSECURE_NO_AUTH=true)");
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
