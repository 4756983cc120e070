package dev.lightrun.server.callbacks;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sends one callback attempt: a POST of the run's final state with {@code X-Light-Run-Delivery} (stable across
 * attempts: receivers de-duplicate on it) and {@code X-Light-Run-Timestamp} (Unix seconds of this attempt), and, when
 * the run has a secret, {@code X-Light-Run-Signature: sha256=<hex HMAC-SHA256(secret, body)>} (the original
 * light-run's) plus {@code X-Light-Run-Signature-Timestamped: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>},
 * which lets receivers refuse replays. Each attempt runs on its own virtual thread with a deadline, so a slow or dead
 * receiver never delays other runs. Redirects are not followed.
 */
public final class CallbackSender implements AutoCloseable {
    public static final String SIGNATURE_HEADER = "X-Light-Run-Signature";
    public static final String TIMESTAMPED_SIGNATURE_HEADER = "X-Light-Run-Signature-Timestamped";
    public static final String DELIVERY_HEADER = "X-Light-Run-Delivery";
    public static final String TIMESTAMP_HEADER = "X-Light-Run-Timestamp";
    /** W3C trace context: the receiver's work joins the run's trace (only when tracing is on). */
    public static final String TRACEPARENT_HEADER = "traceparent";
    private static final Logger log = LoggerFactory.getLogger(CallbackSender.class);

    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("callback-", 0).factory());
    private final Duration timeout;
    private final Function<String, String> traceparents;
    private final ReentrantLock clientLock = new ReentrantLock();
    /** Built at the first callback: a JDK HttpClient sets up TLS (cacerts, providers), ~10% of the server's start-up. */
    private volatile HttpClient client;

    public CallbackSender(Duration timeout) {
        this(timeout, runId -> null);
    }

    /** With the {@code traceparent} of each run's callback ({@code runId -> header}; null: none). */
    public CallbackSender(Duration timeout, Function<String, String> traceparents) {
        this.timeout = timeout;
        this.traceparents = traceparents;
    }

    private HttpClient client() {
        HttpClient built = client;
        if (built == null) {
            clientLock.lock();
            try {
                built = client;
                if (built == null) {
                    built = HttpClient.newBuilder()
                            .connectTimeout(timeout)
                            .followRedirects(HttpClient.Redirect.NEVER)
                            .executor(executor)
                            .build();
                    client = built;
                }
            } finally {
                clientLock.unlock();
            }
        }
        return built;
    }

    /** Sends in the background; the future completes with the receiver's status, or -1 when delivery failed. */
    public CompletableFuture<Integer> send(String runId, String url, String secret, byte[] body) {
        return CompletableFuture.supplyAsync(() -> deliver(runId, url, secret, body), executor);
    }

    private int deliver(String runId, String url, String secret, byte[] body) {
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "light-run")
                .header(DELIVERY_HEADER, runId)
                .header(TIMESTAMP_HEADER, timestamp)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        String traceparent = traceparents.apply(runId);
        if (traceparent != null) {
            request.header(TRACEPARENT_HEADER, traceparent);
        }
        if (secret != null) {
            request.header(SIGNATURE_HEADER, "sha256=" + hmacSha256Hex(secret, body));
            byte[] signed = new byte[timestamp.length() + 1 + body.length];
            System.arraycopy((timestamp + ".").getBytes(StandardCharsets.UTF_8), 0, signed, 0, timestamp.length() + 1);
            System.arraycopy(body, 0, signed, timestamp.length() + 1, body.length);
            request.header(TIMESTAMPED_SIGNATURE_HEADER, "sha256=" + hmacSha256Hex(secret, signed));
        }
        try {
            int status = client().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            log.info("run {} - callback to {} answered HTTP {}", runId, hostOf(url), status);
            return status;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            log.warn("run {} - callback to {} failed: {}", runId, hostOf(url), e.toString());
            return -1;
        }
    }

    /** Hex HMAC-SHA256 of {@code body} keyed with {@code secret}: what receivers recompute to verify. */
    public static String hmacSha256Hex(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }

    /** Only the host goes to the log: a URL's path or query may carry a receiver's token. */
    private static String hostOf(String url) {
        try {
            return URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return "<invalid url>";
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("callbacks still in flight after {}; abandoning them", timeout);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clientLock.lock();
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            clientLock.unlock();
        }
    }
}
