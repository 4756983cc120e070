package dev.lightrun.server.auth;

import dev.lightrun.server.model.ApiError;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Keeps web pages from using the API: applied to every request, with or without a token, before the bearer check.
 * A browser lets any page POST cross-site without a preflight (a "simple" request: text/plain, no custom header), and
 * with DNS rebinding a page's own name can point at 127.0.0.1 and read the answers. In order:
 * <ol>
 *     <li>Host: when listening on loopback, a {@code Host} whose host part is not a loopback name or address, nor an
 *     allowed host, is 403 {@code host_not_allowed} (that is DNS rebinding). A request without Host is no browser's.
 *     On other addresses the Host is not checked (the token is what protects them).</li>
 *     <li>Origin: a request carrying one is 403 {@code origin_not_allowed} unless the origin is allowed or is the
 *     server's own, {@code http://<Host>} (what a page this server serves would send). A preflight from an allowed
 *     origin is answered; from another, refused like the request it announces.</li>
 *     <li>Content type: with an Origin, a POST/PUT/PATCH/DELETE that has a body or names a type must send
 *     {@code application/json} (parameters such as charset allowed, any case), else 415
 *     {@code unsupported_media_type}. Without an Origin nothing changes: curl's form type or none still works.</li>
 * </ol>
 * Immutable and thread-safe.
 */
public final class BrowserRules {
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final Set<String> allowedOrigins;
    private final Set<String> allowedHosts;
    private final boolean listensOnLoopback;

    /**
     * @param allowedOrigins    origins ({@code scheme://host[:port]}) whose pages may call the API
     * @param allowedHosts      host names (no port) a Host header may name besides loopback ones
     * @param listensOnLoopback whether the server listens on a loopback address (the Host rule applies only then)
     * @throws IllegalArgumentException when an origin or host is malformed
     */
    public BrowserRules(Collection<String> allowedOrigins, Collection<String> allowedHosts, boolean listensOnLoopback) {
        this.allowedOrigins = allowedOrigins.stream().map(Origins::parse).collect(Collectors.toUnmodifiableSet());
        this.allowedHosts = allowedHosts.stream().map(BrowserRules::allowedHost).collect(Collectors.toUnmodifiableSet());
        this.listensOnLoopback = listensOnLoopback;
    }

    /**
     * An allowed host in comparable form: lower case, IPv6 without brackets.
     *
     * @throws IllegalArgumentException naming the value when it has a scheme, a port or a path
     */
    public static String allowedHost(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        boolean bracketed = h.startsWith("[") && h.endsWith("]");
        String bare = bracketed ? h.substring(1, h.length() - 1) : h;
        boolean ipv6 = bare.indexOf(':') != bare.lastIndexOf(':') && bare.matches("[0-9a-f:.]+");
        if (!(ipv6 || !bracketed && bare.matches("[a-z0-9_.-]+"))) {
            throw new IllegalArgumentException("'" + host + "' is not a host name; write it without scheme, port or"
                    + " path, e.g. light-run.internal");
        }
        return bare;
    }

    public Verdict check(BrowserRequest request) {
        String host = Loopback.hostOf(request.host());
        // A malformed Host (e.g. an IPv6 address without brackets) is refused like a foreign one.
        boolean hostAllowed = request.host() == null || host != null
                && (!listensOnLoopback || Loopback.isLoopback(host) || allowedHosts.contains(host));
        if (!hostAllowed) {
            return new Verdict.Refused(ApiError.HOST_NOT_ALLOWED, "Host " + request.host() + " is not a name of this"
                    + " server (it listens on loopback; a page whose name points here is refused). Allow a name with"
                    + " --allowed-hosts or LIGHT_RUN_ALLOWED_HOSTS");
        }
        if (request.origin() == null) {
            return new Verdict.Allowed(null);
        }
        String origin = Origins.normalized(request.origin()).orElse(null);
        boolean own = origin != null && hostAllowed && request.host() != null
                && Origins.normalized("http://" + request.host().trim()).map(origin::equals).orElse(false);
        if (origin == null || !own && !allowedOrigins.contains(origin)) {
            return new Verdict.Refused(ApiError.ORIGIN_NOT_ALLOWED, "requests from origin " + request.origin()
                    + " are not allowed; allow it with --allowed-origins or LIGHT_RUN_ALLOWED_ORIGINS");
        }
        if (request.preflight()) {
            return new Verdict.Preflight(request.origin());
        }
        boolean declaresBody = request.hasBody() || request.contentType() != null;
        if (BODY_METHODS.contains(request.method()) && declaresBody && !isJson(request.contentType())) {
            return new Verdict.Refused(ApiError.UNSUPPORTED_MEDIA_TYPE, "a request from a web page must send its"
                    + " body as application/json, not " + (request.contentType() == null ? "no Content-Type"
                    : request.contentType()));
        }
        return new Verdict.Allowed(request.origin());
    }

    /** {@code application/json}, any case, with or without parameters ({@code ; charset=utf-8}). */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return type.trim().equalsIgnoreCase("application/json");
    }
}
