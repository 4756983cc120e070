package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.runner.docker.FilesMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /run} with files and input gives the workload the same files, owners and stdin whether the server
 * uploads them ({@code files-mode archive}) or bind-mounts a folder of its data dir ({@code files-mode bind}); and an
 * artifact extracted from the workdir downloads byte for byte the same either way.
 */
class FilesModeIT {
    private static final String EXPECTED = """
            65534
            deep
            {"n":42,"word":"héllo"}
            . 65534:65534 755
            a 65534:65534 755
            a/b/c.txt 65534:65534 644
            made
            a
            made.txt
            """;

    /** Files in folders, JSON input and a numeric non-root user that writes a new file into its workdir. */
    private static ObjectNode request() {
        ObjectNode body = TestServer.object().put("image", TestServer.BUSYBOX).put("user", "65534:65534")
                .put("entrypoint", "id -u; cat a/b/c.txt; cat; echo; stat -c '%n %u:%g %a' . a a/b/c.txt;"
                        + " echo made > made.txt && cat made.txt; ls -A");
        body.putObject("files").put("a/b/c.txt", "deep\n");
        body.putObject("input").put("n", 42).put("word", "héllo");
        return body;
    }

    private static JsonNode succeeded(TestServer server) {
        JsonNode state = server.runSync(request());
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertNoContainersLeftFor(state.path("id").asText());
        return state;
    }

    private static final int BIG_BYTES = 20 * 1024 * 1024;

    /** A 20 MiB file the workload writes under its workdir (the same bytes every time), extracted. */
    private static ObjectNode bigArtifact() {
        ObjectNode body = TestServer.busybox("mkdir out && seq 1 3000000 | head -c " + BIG_BYTES + " > out/big.bin"
                + " && sha256sum out/big.bin");
        body.putArray("extract").add("/app/out/big.bin");
        return body;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Runs {@link #bigArtifact()} and downloads it: its timings and the downloaded bytes' sha256. */
    private static Map.Entry<JsonNode, String> bigArtifactDownloaded(TestServer server) throws Exception {
        JsonNode state = server.runSync(bigArtifact());
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        String id = state.path("id").asText();
        assertNoContainersLeftFor(id);
        String inside = state.path("logs").path("stdout").asText().split("\\s+")[0];
        TestServer.Response download = server.get("/runs/" + id + "/artifacts/big.bin");
        assertThat(download.status()).isEqualTo(200);
        assertThat(download.body()).hasSize(BIG_BYTES);
        String downloaded = sha256(download.body());
        assertThat(downloaded).as("the sha256 the workload printed").isEqualTo(inside);
        return Map.entry(state.path("timings"), downloaded);
    }

    @Test
    void anArtifactExtractedFromTheWorkdirDownloadsIdenticalFromTheArchiveAndTheBindServer(@TempDir Path base)
            throws Exception {
        Map.Entry<JsonNode, String> archived;
        try (TestServer server = TestServer.start(Files.createDirectories(base.resolve("archive-artifacts")),
                c -> c.filesMode(FilesMode.ARCHIVE))) {
            archived = bigArtifactDownloaded(server);
        }
        Map.Entry<JsonNode, String> bound;
        try (TestServer server = TestServer.start(Files.createDirectories(base.resolve("bind-artifacts")),
                c -> c.filesMode(FilesMode.BIND))) {
            // The first run of an image uploads and looks at its workdir; from the second on, the workdir is
            // bind-mounted and the extracted file is read from the host folder, not through the Engine.
            bigArtifactDownloaded(server);
            bound = bigArtifactDownloaded(server);
        }

        assertThat(archived.getKey().has("upload")).as("timings %s", archived.getKey()).isTrue();
        assertThat(archived.getKey().has("files")).as("timings %s", archived.getKey()).isFalse();
        assertThat(bound.getKey().has("files")).as("timings %s", bound.getKey()).isTrue();
        assertThat(bound.getKey().has("upload")).as("timings %s", bound.getKey()).isFalse();
        assertThat(bound.getValue()).isEqualTo(archived.getValue());
        try (Stream<Path> left = Files.list(base.resolve("bind-artifacts-data").resolve("run-files"))) {
            assertThat(left).as("files folders left by the bind server's runs").isEmpty();
        }
    }

    @Test
    void runWithFilesAndInputPrintsTheSameWhetherTheServerUploadsOrBindMounts(@TempDir Path base) throws Exception {
        Path archiveData = base.resolve("archive-artifacts-data");
        Path bindData = base.resolve("bind-artifacts-data");
        JsonNode archived;
        try (TestServer server = TestServer.start(Files.createDirectories(base.resolve("archive-artifacts")),
                c -> c.filesMode(FilesMode.ARCHIVE))) {
            archived = succeeded(server);
        }
        List<JsonNode> bound = new ArrayList<>();
        try (TestServer server = TestServer.start(Files.createDirectories(base.resolve("bind-artifacts")),
                c -> c.filesMode(FilesMode.BIND))) {
            // The first run of an image uploads and looks at its workdir; from the second on, files are bind-mounted.
            bound.add(succeeded(server));
            bound.add(succeeded(server));
        }

        assertThat(archived.path("logs").path("stdout").asText()).isEqualTo(EXPECTED);
        assertThat(archived.path("timings").has("upload")).as("timings %s", archived.path("timings")).isTrue();
        assertThat(archived.path("timings").has("files")).as("timings %s", archived.path("timings")).isFalse();
        for (JsonNode state : bound) {
            assertThat(state.path("logs").path("stdout").asText()).isEqualTo(EXPECTED);
        }
        JsonNode measured = bound.get(1);
        assertThat(measured.path("timings").has("files")).as("timings %s", measured.path("timings")).isTrue();
        assertThat(measured.path("timings").has("upload")).as("timings %s", measured.path("timings")).isFalse();

        Path runFiles = bindData.resolve("run-files");
        assertThat(Files.getPosixFilePermissions(runFiles)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (Stream<Path> left = Files.list(runFiles)) {
            assertThat(left).as("files folders left by the bind server's runs").isEmpty();
        }
        assertThat(archiveData.resolve("run-files")).as("the archive server makes no files root").doesNotExist();
    }
}
