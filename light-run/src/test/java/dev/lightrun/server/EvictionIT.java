package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;

/** With a 1 MiB cap on artifacts, the oldest finished runs make room for new ones; the newest always stays. */
class EvictionIT {
    static final long CAP = 1024 * 1024;

    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, c -> c.maxArtifactsBytes(CAP));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A run whose single artifact is {@code kib} KiB of random bytes. */
    private static String runWithArtifact(int kib) {
        JsonNode state = server.runSync(busybox("mkdir out && dd if=/dev/urandom of=out/blob.bin bs=1024 count=" + kib
                + " 2>/dev/null").set("extract", TestServer.JSON.valueToTree(List.of("/app/out"))));
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(TestServer.byPath(state.path("artifacts")).get("out/blob.bin").path("bytes").asLong())
                .isEqualTo(kib * 1024L);
        return state.path("id").asText();
    }

    private static void assertEvicted(String id) {
        assertThat(artifacts.resolve(id)).as("folder of evicted run %s", id).doesNotExist();
        TestServer.Response response = server.get("/runs/" + id);
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().path("error").asText()).isEqualTo("not_found");
        assertThat(server.get("/runs/" + id + "/artifacts/out/blob.bin").status()).isEqualTo(404);
    }

    private static void assertKept(String id, int kib) {
        assertThat(artifacts.resolve(id).resolve("out/blob.bin")).hasSize(kib * 1024L);
        assertThat(server.get("/runs/" + id).status()).isEqualTo(200);
        TestServer.Response file = server.get("/runs/" + id + "/artifacts/out/blob.bin");
        assertThat(file.status()).isEqualTo(200);
        assertThat(file.body()).hasSize(kib * 1024);
    }

    @Test
    void oldestRunsAreEvictedOverTheCapAndTheNewestStays() {
        String first = runWithArtifact(600);
        assertKept(first, 600);

        String second = runWithArtifact(600);
        assertEvicted(first);
        assertKept(second, 600);

        String third = runWithArtifact(600);
        assertEvicted(second);
        assertKept(third, 600);
        assertThat(TestServer.texts(server.get("/runs").json(), "id")).contains(third).doesNotContain(first, second);

        // A run over the cap on its own is the one that just finished: it stays, the older one goes.
        String big = runWithArtifact(1200);
        assertEvicted(third);
        assertKept(big, 1200);

        // Runs without artifacts take no room and are never evicted.
        String empty = server.runSync(busybox("echo no files")).path("id").asText();
        String after = runWithArtifact(100);
        assertThat(server.get("/runs/" + empty).status()).isEqualTo(200);
        assertEvicted(big);
        assertKept(after, 100);
    }
}
