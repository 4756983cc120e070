package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.artifacts.s3.S3TestBucket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import static dev.lightrun.server.durable.Api.script;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real server process with {@code LIGHT_RUN_ARTIFACTS_URL=s3://<test bucket>/<prefix>} and a 96 MiB heap: a run
 * writes a 256 MiB file, which is extracted, uploaded in parts and served back byte-exact, whole and by Range; a heap
 * that held the file would have failed with OutOfMemoryError. Its log is archived in the bucket and served from there
 * once the local copy is gone (as by another replica). Deleting the run removes its objects and its log.
 */
class S3ArtifactsIT {
    private static final long SIZE = 256L * 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;
    @RegisterExtension
    final ServerProcesses servers = new ServerProcesses();

    @Test
    void a256MibArtifactGoesThroughS3WithA96MibHeapAndComesBackByteExactAndItsLogIsServedFromS3() throws Exception {
        String prefix = "it-" + UUID.randomUUID();
        ServerProcess.Setup setup = ServerProcess.Setup.in(root).jvm("-Xmx96m")
                .withEnv("LIGHT_RUN_ARTIFACTS_URL", "s3://" + S3TestBucket.bucket() + "/" + prefix)
                .withEnv("LIGHT_RUN_S3_ENDPOINT", S3TestBucket.endpoint());
        ServerProcess server = servers.start(setup);
        try (S3Client s3 = S3TestBucket.client()) {
            long began = System.nanoTime();
            // Detached: the run, its extraction and its upload may take longer than a sync request's timeout here.
            String submitted = server.api().submitDetached(script(
                    "mkdir -p out && head -c " + SIZE + " /dev/urandom > out/big && sha256sum out/big",
                    "extract", List.of("/app/out"), "timeout", 300_000));
            JsonNode done = server.api().awaitFinished(submitted, Duration.ofMinutes(5));
            long runMs = (System.nanoTime() - began) / 1_000_000;
            assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
            String id = done.path("id").asText();
            String printed = done.path("logs").path("stdout").asText().split("\\s+")[0];
            assertThat(printed).hasSize(64);
            assertThat(setup.artifactsDir().resolve(id)).as("the staging folder is gone").doesNotExist();
            List<String> keys = s3.listObjectsV2(b -> b.bucket(S3TestBucket.bucket()).prefix(prefix + "/"))
                    // s3proxy's filesystem backend also lists its folders as keys ending in /.
                    .contents().stream().map(o -> o.key()).filter(key -> !key.endsWith("/")).toList();
            assertThat(keys).containsExactlyInAnyOrder(prefix + "/" + id + "/out/big",
                    prefix + "/.logs/" + id + "/1.jsonl");

            HttpClient http = HttpClient.newHttpClient();
            String url = server.api().uri("/runs/" + id + "/artifacts/out/big").toString();
            began = System.nanoTime();
            HttpResponse<InputStream> whole = http.send(HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Path copy = root.resolve("big.copy");
            try (InputStream in = whole.body(); var out = Files.newOutputStream(copy)) {
                byte[] buffer = new byte[256 * 1024];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            long downloadMs = (System.nanoTime() - began) / 1_000_000;
            assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(printed);

            long first = 100L * 1024 * 1024 - 10;
            HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(java.net.URI.create(url))
                    .header("Range", "bytes=" + first + "-" + (first + 99_999)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes " + first + "-"
                    + (first + 99_999) + "/" + SIZE);
            try (var channel = java.nio.channels.FileChannel.open(copy)) {
                java.nio.ByteBuffer expected = java.nio.ByteBuffer.allocate(100_000);
                channel.read(expected, first);
                assertThat(range.body()).isEqualTo(expected.array());
            }
            HttpResponse<byte[]> suffix = http.send(HttpRequest.newBuilder(java.net.URI.create(url))
                    .header("Range", "bytes=-5").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(suffix.statusCode()).isEqualTo(206);
            assertThat(suffix.body()).hasSize(5);
            Files.delete(copy);

            long rssKib = rssKib(server.pid());
            System.out.printf("[s3-e2e] 256 MiB: run+extract+upload %d ms, download %d ms, server RSS %d MiB (-Xmx96m)%n",
                    runMs, downloadMs, rssKib / 1024);
            assertThat(server.log()).doesNotContain("OutOfMemoryError")
                    .doesNotContain(System.getenv("AWS_SECRET_ACCESS_KEY"));

            // As another replica would: the log is not on this disk, so it is read from the bucket.
            try (var files = Files.newDirectoryStream(setup.dataDir().resolve("logs"), id + ".*")) {
                for (Path file : files) {
                    Files.delete(file);
                }
            }
            assertThat(server.api().logs(id, "")).isEqualTo(done.path("logs").path("stdout").asText());
            assertThat(s3.listObjectsV2(b -> b.bucket(S3TestBucket.bucket()).prefix(prefix + "/.logs/" + id + "/"))
                    .contents()).isNotEmpty();

            assertThat(server.api().delete("/runs/" + id).statusCode()).isBetween(200, 204);
            assertThat(s3.listObjectsV2(b -> b.bucket(S3TestBucket.bucket()).prefix(prefix + "/")).contents()
                    .stream().map(o -> o.key()).filter(key -> !key.endsWith("/")))
                    .as("the run's objects and its archived log are gone").isEmpty();
            assertThat(server.api().get("/runs/" + id + "/artifacts/out/big").statusCode()).isEqualTo(404);
        }
    }

    private static long rssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
