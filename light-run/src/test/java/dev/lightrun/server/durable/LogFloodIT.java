package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static dev.lightrun.server.durable.Api.inline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A run writing ~300 MB to stdout on a server with a 128 MiB heap: the run finishes, the server answers /health
 * quickly all along, its resident memory stays bounded, and the stored log stays under its cap.
 */
class LogFloodIT {
    private static final long DEFAULT_CAP = 10L * 1024 * 1024;
    private static final long OUTPUT_BYTES = 300L * 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    private ServerProcess server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
            server.setup().removeLeftoverContainers();
        }
    }

    @Test
    void floodOf300MegabytesDoesNotHurtTheServer() throws IOException {
        server = ServerProcess.Setup.in(root).jvm("-Xmx128m").start();
        String id = server.api().submitDetached(inline(
                "dd if=/dev/zero bs=1M count=300 2>/dev/null | tr '\\0' x | fold -w 100", "timeout", 300_000));

        AtomicLong maxHealthMs = new AtomicLong();
        AtomicLong maxRssKib = new AtomicLong();
        AtomicInteger samplesWhileRunning = new AtomicInteger();
        long began = System.nanoTime();
        await("the flood ends").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() -> {
            boolean running = server.api().status(id).equals("running");
            long sent = System.nanoTime();
            HttpResponse<String> health = server.api().get("/health");
            long healthMs = (System.nanoTime() - sent) / 1_000_000;
            assertThat(health.statusCode()).isEqualTo(200);
            maxRssKib.accumulateAndGet(server.rssKib(), Math::max);
            if (running) {
                samplesWhileRunning.incrementAndGet();
                maxHealthMs.accumulateAndGet(healthMs, Math::max);
            }
            return !running;
        });
        long floodMs = (System.nanoTime() - began) / 1_000_000;

        JsonNode state = server.api().run(id);
        assertThat(state.path("status").asText()).isEqualTo("succeeded");
        assertThat(state.path("exitCode").asInt()).isZero();
        assertThat(state.path("logs").path("stdoutTruncated").asBoolean()).isTrue();

        long stored = 0;
        try (Stream<Path> files = Files.list(server.setup().dataDir().resolve("logs"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(id + ".")
                    && f.getFileName().toString().endsWith(".jsonl")).toList()) {
                stored += Files.size(file);
            }
        }
        HttpResponse<String> logs = server.api().get("/runs/" + id + "/logs");
        long dropped = Long.parseLong(logs.headers().firstValue("X-Light-Run-Log-Dropped").orElseThrow());
        System.out.printf("[log flood] %d MB in %d ms; %d samples while running: max GET /health %d ms, max RSS %d MiB;"
                        + " stored log %d bytes (cap %d), dropped %d%n", OUTPUT_BYTES >> 20, floodMs,
                samplesWhileRunning.get(), maxHealthMs.get(), maxRssKib.get() >> 10, stored, DEFAULT_CAP, dropped);

        assertThat(samplesWhileRunning.get()).as("health checked during the flood").isGreaterThanOrEqualTo(5);
        assertThat(maxHealthMs.get()).as("slowest GET /health during the flood (ms)").isLessThan(1_000);
        assertThat(maxRssKib.get()).as("largest RSS of the server (KiB)").isLessThan(400L * 1024);
        assertThat(stored).as("stored log bytes").isPositive().isLessThanOrEqualTo(DEFAULT_CAP);
        assertThat(dropped).isPositive();
        String last = logs.body().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(last).isEqualTo("x".repeat(100));
        assertThat(server.isAlive()).isTrue();
        assertThat(server.api().get("/health").statusCode()).isEqualTo(200);
        assertThat(DockerCli.containersOfRun(id)).isEmpty();
    }
}
