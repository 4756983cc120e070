package dev.lightrun.server.http;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Reads a request's answer from the replica executing the run (its live log exists only there) and streams it to the
 * caller as it comes, chunk by chunk, so a follow through any replica is live. The caller's {@code Authorization}
 * goes along: that replica checks it again (replicas share their keys). A forwarded request carries
 * {@link #FORWARDED}, and a replica never forwards one again, so two replicas that disagree cannot bounce it.
 */
final class ReplicaProxy {
    static final String FORWARDED = "X-Light-Run-Forwarded";
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(30);
    private static final List<String> PASSED_BACK = List.of("Content-Type", "X-Light-Run-Log-Dropped");
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    private ReplicaProxy() {
    }

    /** Whether this request came from another replica (and must be answered here). */
    static boolean forwarded(Context ctx) {
        return ctx.header(FORWARDED) != null;
    }

    /**
     * Answers {@code ctx} with what {@code replicaUrl} (replica {@code replica}'s address) answers to the same GET;
     * 503 when that replica does not answer (down, or not reachable from here).
     */
    static void relay(Context ctx, String replica, String replicaUrl) throws IOException, InterruptedException {
        String query = ctx.queryString();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(replicaUrl + ctx.path()
                        + (query == null ? "" : "?" + query)))
                // Until the answer's headers: a replica that accepts the connection and then hangs is not waited for
                // forever (the body of a follow then streams for as long as the run lasts).
                .timeout(ANSWER_WITHIN).header(FORWARDED, "1").GET();
        String authorization = ctx.header("Authorization");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> answer;
        try {
            answer = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            // Nothing sent to the caller yet: a clear answer rather than an internal error.
            throw new ApiException(ApiError.UNAVAILABLE, "this run is executed by replica '" + replica + "', which"
                    + " does not answer (" + e.getClass().getSimpleName() + "); its live log is there: retry when it"
                    + " is back");
        }
        ctx.status(answer.statusCode());
        for (String name : PASSED_BACK) {
            answer.headers().firstValue(name).ifPresent(value -> ctx.header(name, value));
        }
        try (InputStream in = answer.body()) {
            OutputStream out = ctx.res().getOutputStream();
            byte[] buffer = new byte[8192];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                // Each chunk as it comes: a follow is live only if nothing waits for a buffer to fill.
                out.flush();
            }
        }
    }
}
