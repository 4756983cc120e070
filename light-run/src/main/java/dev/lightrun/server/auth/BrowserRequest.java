package dev.lightrun.server.auth;

import java.util.Objects;

/**
 * What the browser rules look at in a request: its method and the headers a browser sets but a page cannot forge.
 *
 * @param method      HTTP method, upper case
 * @param origin      the {@code Origin} header; null when absent (curl, SDKs, server-to-server)
 * @param host        the {@code Host} header as sent ({@code host[:port]}); null when absent
 * @param contentType the {@code Content-Type} header; null when absent
 * @param hasBody     whether a body follows (a positive Content-Length, or Transfer-Encoding)
 * @param preflight   whether this is a CORS preflight ({@code OPTIONS} with {@code Access-Control-Request-Method})
 */
public record BrowserRequest(String method, String origin, String host, String contentType, boolean hasBody,
                             boolean preflight) {
    public BrowserRequest {
        Objects.requireNonNull(method, "method was not specified");
    }
}
