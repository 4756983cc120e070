package dev.lightrun.server.config;

import dev.lightrun.server.auth.BrowserRules;
import dev.lightrun.server.auth.Origins;

import java.util.List;

/**
 * Who may reach the API besides token holders' programs: browser pages and names, and whether a server without a
 * token may listen beyond loopback. Validated at start-up.
 *
 * @param allowedOrigins web origins ({@code scheme://host[:port]}) whose pages may call the API (default none; the
 *                       server's own origin always may)
 * @param allowedHosts   host names a {@code Host} header may name besides loopback ones when listening on loopback
 *                       (default none)
 * @param insecureNoAuth start without a token on a non-loopback address (default false: refused)
 */
public record AccessSettings(List<String> allowedOrigins, List<String> allowedHosts, boolean insecureNoAuth) {
    public AccessSettings {
        allowedOrigins = clean(allowedOrigins);
        allowedHosts = clean(allowedHosts);
        for (String origin : allowedOrigins) {
            try {
                Origins.parse(origin);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("allowed-origins: " + e.getMessage());
            }
        }
        for (String host : allowedHosts) {
            try {
                BrowserRules.allowedHost(host);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("allowed-hosts: " + e.getMessage());
            }
        }
    }

    public static AccessSettings defaults() {
        return new AccessSettings(List.of(), List.of(), false);
    }

    private static List<String> clean(List<String> values) {
        return values == null ? List.of() : values.stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
    }
}
