package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server embedded in another JVM application, as docs/configuration.md shows it: built with the command line's
 * settings through {@link ServerConfig#builder()}, started with {@link LightRunServer#start(ServerConfig)} and stopped
 * with {@link LightRunServer#close()}, twice in one JVM on the same port and data folder, serving a run each time.
 */
class EmbeddedServerIT {
    private static final String TOKEN = "embedded-token-31c7e0";

    @Test
    void startsServesAndStopsTwiceInOneJvm(@TempDir Path dataDir) throws Exception {
        int port = freePort();
        ServerConfig config = ServerConfig.builder().port(port).token(TOKEN).dataDir(dataDir)
                .policy(p -> p.maxConcurrent(2)).build();
        String firstRun = null;
        for (int round = 1; round <= 2; round++) {
            try (LightRunServer server = LightRunServer.start(config)) {
                assertThat(server.port()).isEqualTo(port);
                JsonNode state = TestServer.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/run"))
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(busybox("echo round " + round)))).build()).json();
                assertThat(state.path("status").asText()).as("%s", state).isEqualTo("succeeded");
                assertThat(state.path("logs").path("stdout").asText()).isEqualTo("round " + round + "\n");
                TestServer.assertNoContainersLeftFor(state.path("id").asText());
                if (firstRun == null) {
                    firstRun = state.path("id").asText();
                } else {
                    // The second start reads the same data folder: the first run is still there.
                    JsonNode before = TestServer.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/runs/" + firstRun))
                            .header("Authorization", "Bearer " + TOKEN).build()).json();
                    assertThat(before.path("logs").path("stdout").asText()).isEqualTo("round 1\n");
                }
            }
            // Stopped: the port is free again at once.
            try (ServerSocket again = new ServerSocket(port)) {
                assertThat(again.getLocalPort()).isEqualTo(port);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
