package dev.lightrun.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} alone, on its own port and without authentication, for a scraper inside the cluster
 * ({@code LIGHT_RUN_METRICS_PORT}); the API port keeps its rules. The JDK's small HTTP server, one virtual thread per
 * scrape. Anything else on this port is 404.
 */
final class MetricsPort implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsPort.class);

    private final HttpServer server;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("metrics-port-", 0).factory());

    MetricsPort(String host, int port, Supplier<String> scrape) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for metrics on " + host + ":" + port, e);
        }
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                boolean metrics = exchange.getRequestURI().getPath().equals("/metrics");
                if (!metrics || !exchange.getRequestMethod().equals("GET")) {
                    answer(exchange, metrics ? 405 : 404, "text/plain", metrics ? "GET only\n" : "not found\n");
                    return;
                }
                answer(exchange, 200, Telemetry.CONTENT_TYPE, scrape.get());
            }
        });
        server.start();
        log.info("metrics - GET /metrics on http://{}:{} (no authentication)", host, port());
    }

    private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
