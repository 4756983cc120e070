package dev.lightrun.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.TestServer;
import dev.lightrun.server.config.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.pynode;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the operator lets a run use and keep: allowed images only (403 otherwise), no build steps when builds are off
 * (403), at most 1 MiB extracted per run (the run fails EXTRACTION_REFUSED and keeps nothing). And what goes in: binary
 * files as base64, byte-exact; JSON input on the stdin of a detached run.
 */
class ImagePolicyIT {
    static final long ARTIFACT_CAP = 1024 * 1024;

    @TempDir
    static Path artifacts;
    static TestServer server;

    static void policy(ServerConfig.Builder c) {
        c.policy(p -> p.allowedImages(List.of("light-run-test/*")).allowBuild(false)
                .maxRunArtifactBytes(ARTIFACT_CAP));
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, ImagePolicyIT::policy);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static ObjectNode extract(ObjectNode body, String... paths) {
        body.set("extract", TestServer.JSON.valueToTree(List.of(paths)));
        return body;
    }

    static ObjectNode python(String program) {
        ObjectNode body = pynode("python3 main.py");
        ((ObjectNode) body.get("files")).put("main.py", program);
        return body;
    }

    static void assertForbidden(TestServer on, ObjectNode body, String code) {
        TestServer.Response response = on.submit(body);
        assertThat(response.status()).as("answer to %s: %s", body, response).isEqualTo(403);
        assertThat(response.json().path("error").asText()).isEqualTo(code);
        assertThat(response.json().path("message").asText()).isNotBlank();
        assertThat(response.json().has("id")).as("a refused request has no run").isFalse();
    }

    static List<Path> filesUnder(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(p -> !p.equals(folder)).toList();
        }
    }

    @Test
    void imagesOutsideTheAllowListAndBuildStepsAreRefusedBeforeAnythingStarts(@TempDir Path ownArtifacts)
            throws IOException {
        try (TestServer fresh = TestServer.start(ownArtifacts, ImagePolicyIT::policy)) {
            for (String image : List.of("alpine:3.20", "busybox", "light-run-testing/busybox",
                    "ghcr.io/light-run-test/busybox", "evil/light-run-test/busybox")) {
                assertForbidden(fresh, busybox("echo never").put("image", image), "image_not_allowed");
                assertForbidden(fresh, busybox("echo never").put("image", image).put("detached", true),
                        "image_not_allowed");
            }
            ObjectNode build = busybox("cat /built");
            build.putArray("run").add("echo built > /built");
            assertForbidden(fresh, build.deepCopy(), "build_not_allowed");
            assertForbidden(fresh, build.put("detached", true), "build_not_allowed");

            TestServer.Response runs = fresh.get("/runs");
            assertThat(runs.status()).isEqualTo(200);
            assertThat(runs.json()).as("runs recorded by refused requests").isEmpty();
            assertThat(filesUnder(ownArtifacts)).as("artifacts of refused requests").isEmpty();

            // The allow-list lets its images through, tagged or not.
            for (ObjectNode allowed : List.of(busybox("echo allowed"),
                    busybox("echo allowed").put("image", "light-run-test/busybox:latest"),
                    python("print('allowed')"))) {
                JsonNode state = fresh.runSync(allowed);
                assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
                assertThat(state.path("logs").path("stdout").asText()).isEqualTo("allowed\n");
                assertNoContainersLeftFor(state.path("id").asText());
            }
            assertThat(fresh.get("/runs").json()).as("only the allowed runs are recorded").hasSize(3);
        }
    }

    @Test
    void aBinaryFileSentAsBase64ArrivesByteExact() throws Exception {
        byte[] blob = new byte[256 * 1024];
        new Random(42).nextBytes(blob);
        for (int i = 0; i < 256; i++) {
            blob[i] = (byte) i; // every byte value, NUL and invalid UTF-8 included
        }
        ObjectNode body = busybox("sha256sum bin/blob.bin; wc -c < bin/blob.bin");
        ((ObjectNode) body.get("files")).putObject("bin/blob.bin").put("base64", Base64.getEncoder().encodeToString(blob));
        extract(body, "/app/bin/blob.bin");

        JsonNode state = server.runSync(body);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        List<String> lines = state.path("logs").path("stdout").asText().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).as("sha256 inside the run").isEqualTo(sha256(blob) + "  bin/blob.bin");
        assertThat(lines.get(1).trim()).isEqualTo(Integer.toString(blob.length));
        TestServer.Response download = server.get("/runs/" + state.path("id").asText() + "/artifacts/blob.bin");
        assertThat(download.status()).isEqualTo(200);
        assertThat(sha256(download.body())).as("sha256 of the file extracted back").isEqualTo(sha256(blob));
        assertThat(download.body()).isEqualTo(blob);
        assertNoContainersLeftFor(state.path("id").asText());
    }

    @Test
    void theInputOfADetachedRunReachesItsStdin() throws Exception {
        ObjectNode body = busybox("cat");
        ObjectNode input = body.putObject("input").put("text", "héllo wörld ✓").put("quote", "a \"b\" \\ c");
        input.putArray("numbers").add(1).add(2).add(39);
        input.putObject("nested").put("ok", true).putNull("nothing");

        String id = server.runDetached(body);
        JsonNode state = server.awaitFinished(id);

        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(TestServer.JSON.readTree(state.path("logs").path("stdout").asText()))
                .as("what the workload read on stdin").isEqualTo(input);
        assertNoContainersLeftFor(id);
    }

    @Test
    void aRunExtractingMoreThanItsCapFailsAndKeepsNothing() throws IOException {
        // One file over the cap, and several files each under it whose total is over it.
        List<String> overTheCap = List.of(
                "mkdir -p out && echo small > out/small.txt && head -c 2097152 /dev/zero > out/big.bin",
                "mkdir -p out && for i in 1 2 3; do head -c 409600 /dev/zero > out/part$i.bin; done");
        for (String entrypoint : overTheCap) {
            JsonNode state = server.runSync(extract(busybox(entrypoint), "/app/out"));
            String id = state.path("id").asText();

            assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("failed");
            assertThat(state.path("errorCode").asText()).as("state %s", state).isEqualTo("EXTRACTION_REFUSED");
            assertThat(state.path("exitCode").asInt()).as("the workload itself succeeded").isZero();
            assertThat(state.path("artifacts")).isEmpty();
            TestServer.Response listed = server.get("/runs/" + id + "/artifacts");
            assertThat(listed.status()).isEqualTo(200);
            assertThat(listed.json()).isEmpty();
            assertThat(server.get("/runs/" + id + "/artifacts/out/small.txt").status()).isEqualTo(404);
            assertThat(server.get("/runs/" + id + "/artifacts/out/part1.bin").status()).isEqualTo(404);
            assertThat(filesUnder(artifacts.resolve(id))).as("files kept for run %s", id).isEmpty();
            assertNoContainersLeftFor(id);
        }

        // Under the cap, the same kind of run keeps its files.
        JsonNode under = server.runSync(extract(busybox("mkdir -p out && head -c 921600 /dev/zero > out/fits.bin"),
                "/app/out"));
        assertThat(under.path("status").asText()).as("state %s", under).isEqualTo("succeeded");
        assertThat(texts(under.path("artifacts"), "path")).containsExactlyInAnyOrder("out", "out/fits.bin");
        assertThat(Files.size(artifacts.resolve(under.path("id").asText()).resolve("out/fits.bin"))).isEqualTo(921600);
        assertNoContainersLeftFor(under.path("id").asText());
    }
}
