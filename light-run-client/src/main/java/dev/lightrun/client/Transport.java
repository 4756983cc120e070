package dev.lightrun.client;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Sends requests to one light-run server and turns every failure into a {@link LightRunException}: an error body into
 * its code, details and extra fields, a broken connection into {@code unreachable}, a deadline into {@code timeout}.
 * Thread-safe.
 */
final class Transport {
    private static final Set<String> KNOWN_ERROR_FIELDS = Set.of("error", "message", "details");
    /** An error page bigger than this is not ours: enough for any light-run error with many field details. */
    private static final int MAX_ERROR_BODY_BYTES = 256 * 1024;

    private final HttpClient http;
    private final URI base;
    private final String token;
    private final Duration requestTimeout;

    Transport(HttpClient http, URI base, String token, Duration requestTimeout) {
        this.http = http;
        this.base = base;
        this.token = token;
        this.requestTimeout = requestTimeout;
    }

    HttpClient http() {
        return http;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /** A request to {@code pathAndQuery} (already encoded) with the token and a response deadline. */
    HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        String root = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1)
                : base.toString();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root + pathAndQuery)).timeout(timeout);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    HttpRequest.Builder request(String pathAndQuery) {
        return request(pathAndQuery, requestTimeout);
    }

    /** Sends and reads a 2xx JSON body as {@code type}; any other status is thrown as the server's error. */
    <T> T json(HttpRequest request, JavaType type) {
        HttpResponse<InputStream> response = send(request);
        try (InputStream body = response.body()) {
            return Json.MAPPER.readValue(body, type);
        } catch (IOException e) {
            throw new LightRunException(LightRunException.INVALID_RESPONSE, request.method() + " "
                    + request.uri().getPath() + " answered " + response.statusCode() + " with a body that is not "
                    + "the expected JSON: " + e.getMessage(), e);
        }
    }

    /** Sends and discards a 2xx body; any other status is thrown as the server's error. */
    void discard(HttpRequest request) {
        HttpResponse<InputStream> response = send(request);
        try (InputStream body = response.body()) {
            body.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw unreachable(request, e);
        }
    }

    /** Sends and returns the open 2xx response (the caller closes its body); any other status is thrown. */
    HttpResponse<InputStream> send(HttpRequest request) {
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new LightRunException(LightRunException.TIMEOUT, request.method() + " " + request.uri().getPath()
                    + " got no answer within " + request.timeout().map(Transport::human).orElse("its deadline"), e);
        } catch (IOException e) {
            throw unreachable(request, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(request, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw errorOf(request, response);
        }
        return response;
    }

    LightRunException unreachable(HttpRequest request, IOException e) {
        String why = e instanceof ConnectException ? "cannot connect to " + base
                : "connection to " + base + " failed during " + request.method() + " " + request.uri().getPath();
        // The JDK's ConnectException for a refused connection has no message.
        String detail = e.getMessage() != null ? e.getMessage()
                : e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
        return new LightRunException(LightRunException.UNREACHABLE, why + ": " + detail, e);
    }

    static LightRunException interrupted(HttpRequest request, InterruptedException e) {
        return new LightRunException(LightRunException.INTERRUPTED, "interrupted while waiting for "
                + request.method() + " " + request.uri().getPath(), e);
    }

    /** The server's error body as an exception; a body that is not light-run's error JSON still gives its status. */
    private static LightRunException errorOf(HttpRequest request, HttpResponse<InputStream> response) {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_ERROR_BODY_BYTES);
        } catch (IOException e) {
            body = new byte[0];
        }
        return parseError(response.statusCode(), response.headers(), body,
                request.method() + " " + request.uri().getPath());
    }

    static LightRunException parseError(int status, HttpHeaders headers, byte[] body, String what) {
        Duration retryAfter = headers.firstValue("Retry-After").flatMap(Transport::seconds).orElse(null);
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            tree = null;
        }
        if (tree == null || !tree.path("error").isTextual()) {
            String text = new String(body, StandardCharsets.UTF_8).strip();
            String message = what + " answered HTTP " + status
                    + (text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text));
            return new LightRunException(status, "http_" + status, message, List.of(), Map.of(), retryAfter, null);
        }
        List<LightRunException.FieldError> details = new ArrayList<>();
        for (JsonNode detail : tree.path("details")) {
            details.add(new LightRunException.FieldError(detail.path("path").asText(""),
                    detail.path("message").asText("")));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : tree.properties()) {
            if (!KNOWN_ERROR_FIELDS.contains(field.getKey()) && !field.getValue().isNull()) {
                extra.put(field.getKey(), Json.MAPPER.convertValue(field.getValue(), Object.class));
            }
        }
        String code = tree.path("error").asText();
        String message = tree.path("message").isTextual() ? tree.path("message").asText() : code;
        return new LightRunException(status, code, message, details, extra, retryAfter, null);
    }

    private static Optional<Duration> seconds(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            // An HTTP date: light-run never sends one.
            return Optional.empty();
        }
    }

    /** One path segment, percent-encoded ({@code a b} -> {@code a%20b}). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A relative artifact path, each segment encoded, the slashes kept. */
    static String path(String relative) {
        StringBuilder encoded = new StringBuilder();
        for (String part : relative.split("/")) {
            if (!part.isEmpty()) {
                encoded.append('/').append(segment(part));
            }
        }
        return encoded.toString();
    }

    static String human(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
