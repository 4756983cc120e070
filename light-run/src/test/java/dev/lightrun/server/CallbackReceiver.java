package dev.lightrun.server;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local HTTP endpoint that records every callback it receives. A hanging one accepts the request and never answers
 * until {@link #close()}; a scripted one answers its requests with the given statuses in turn (the last one repeats).
 */
public final class CallbackReceiver implements AutoCloseable {
    /** One received request: method, path with query, headers (names lower-cased), the raw body and when it came. */
    public record Received(String method, String pathAndQuery, Map<String, List<String>> headers, byte[] body,
                           java.time.Instant receivedAt) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.getFirst();
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();

    private CallbackReceiver(boolean hang) {
        this(hang, new int[] {204});
    }

    private CallbackReceiver(boolean hang, int[] statuses) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new java.util.TreeMap<>();
            exchange.getRequestHeaders()
                    .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v)));
            int status;
            synchronized (received) {
                received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers,
                        body, java.time.Instant.now()));
                status = statuses[Math.min(received.size(), statuses.length) - 1];
            }
            if (hang) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            answered.incrementAndGet();
        });
        server.start();
    }

    public static CallbackReceiver answering() {
        return new CallbackReceiver(false);
    }

    /** Answers the first request with {@code statuses[0]}, the second with {@code statuses[1]}...; then the last. */
    public static CallbackReceiver answering(int... statuses) {
        if (statuses.length == 0) {
            throw new IllegalArgumentException("at least one status");
        }
        return new CallbackReceiver(false, statuses.clone());
    }

    public static CallbackReceiver hanging() {
        return new CallbackReceiver(true);
    }

    public String url(String pathAndQuery) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** How many requests have been answered so far (a hanging receiver answers none until closed). */
    public int answered() {
        return answered.get();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
