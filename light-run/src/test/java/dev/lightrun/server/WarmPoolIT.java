package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.config.ConfigException;
import dev.lightrun.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@code --warm-pool}: /health shows the pool, a matching run's state says {@code start: warm}, others cold. */
class WarmPoolIT {
    @Test
    void healthShowsThePoolAndAMatchingRunStartsWarm(@TempDir Path dir) {
        try (TestServer server = TestServer.start(dir.resolve("artifacts"),
                c -> c.warmPool(TestServer.BUSYBOX + "=2;network=none"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> server.get("/health").json().path("pools").path(0)
                    .path("idle").asInt() == 2);

            ObjectNode body = TestServer.object().put("image", TestServer.BUSYBOX).put("network", "none")
                    .put("entrypoint", "cat in.txt; echo \"$K\"; cat");
            body.putObject("files").put("in.txt", "file\n");
            body.putObject("env").put("K", "v");
            body.put("input", "stdin\n");
            JsonNode warm = server.runSync(body);
            ObjectNode other = TestServer.object().put("image", TestServer.BUSYBOX).put("entrypoint", "echo cold");
            other.putObject("files").put("in.txt", "x");
            JsonNode cold = server.runSync(other);

            assertThat(warm.path("status").asText()).as("state %s", warm).isEqualTo("succeeded");
            assertThat(warm.path("start").asText()).isEqualTo("warm");
            assertThat(warm.path("logs").path("stdout").asText()).as("state %s", warm).isEqualTo("file\nv\n\"stdin\\n\"");
            assertThat(server.get("/runs/" + warm.path("id").asText()).json().path("start").asText()).isEqualTo("warm");
            assertThat(cold.path("start").asText()).as("another network: no pool for it").isEqualTo("cold");

            JsonNode pool = server.get("/health").json().path("pools").path(0);
            assertThat(pool.path("image").asText()).isEqualTo(TestServer.BUSYBOX);
            assertThat(pool.path("size").asInt()).isEqualTo(2);
            assertThat(pool.path("hits").asLong()).isEqualTo(1);
            assertThat(pool.path("misses").asLong()).isZero();
            assertThat(pool.has("lastRefillMs")).isTrue();
            String runId = warm.path("id").asText();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertNoContainersLeftFor(runId));
        }
    }

    @Test
    void aBadPoolIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> ServerConfig.builder().warmPool("busybox=lots").build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--warm-pool / LIGHT_RUN_WARM_POOL").hasMessageContaining("size must be a number");
    }
}
