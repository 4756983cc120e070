package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Downloads never leave the run's folder: not by {@code ..} in any spelling, nor by a link planted in the folder.
 * And what is served is served as an attachment that a browser will not run.
 */
class ArtifactsIT {
    @RegisterExtension
    static final TestServer server = TestServer.extension();
    static String id;
    static String passwd;

    @BeforeAll
    static void start() throws Exception {
        JsonNode state = server.runSync(busybox("mkdir -p out/sub && echo inside > out/ok.txt"
                + " && echo '<script>alert(1)</script>' > out/page.html && echo sub > out/sub/s.txt"
                + " && seq 1 200000 > out/numbers.txt")
                .set("extract", TestServer.JSON.valueToTree(List.of("/app/out"))));
        assertThat(state.path("status").asText()).isEqualTo("succeeded");
        id = state.path("id").asText();
        passwd = Files.readString(Path.of("/etc/passwd"));
        assertThat(passwd).contains("root:");
    }

    /** GET the path exactly as written (no client-side normalization) and assert nothing outside leaked. */
    private static void assertNoEscape(String rawPath) throws Exception {
        RawHttp.Answer answer = RawHttp.exchange(server.port(),
                "GET " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1", new byte[0]);
        assertThat(answer.status()).as("GET %s answered %s", rawPath, answer.text()).isIn(400, 404);
        assertThat(answer.text()).as("GET %s", rawPath).doesNotContain("root:")
                .doesNotContain(passwd.lines().findFirst().orElseThrow());
    }

    @Test
    void dotDotInAnySpellingStaysInside() throws Exception {
        String base = "/runs/" + id + "/artifacts/";
        for (String attack : List.of(
                "../../../../../../etc/passwd",
                "out/../../../../../../../etc/passwd",
                "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                "%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
                "out%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "..%5C..%5C..%5C..%5Cetc%5Cpasswd",
                "%252e%252e/%252e%252e/%252e%252e/etc/passwd",
                "..;/..;/..;/..;/etc/passwd",
                "%2Fetc%2Fpasswd",
                "/etc/passwd",
                "out/%00/../../../../etc/passwd")) {
            assertNoEscape(base + attack);
        }
        assertThat(server.get(base + "out/ok.txt").text()).isEqualTo("inside\n");
    }

    @Test
    void linksPlantedInTheRunFolderAreNotFollowedOut() throws Exception {
        Path folder = server.artifactsDir.resolve(id);
        Files.createSymbolicLink(folder.resolve("leak.txt"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(folder.resolve("out/passwd"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(folder.resolve("out/relative"), Path.of("../../../../../../../../etc/passwd"));
        Files.createSymbolicLink(folder.resolve("etc"), Path.of("/etc"));
        Files.createSymbolicLink(folder.resolve("out/root"), Path.of("/"));

        for (String path : List.of("leak.txt", "out/passwd", "out/relative", "etc/passwd", "etc",
                "out/root/etc/passwd")) {
            TestServer.Response response = server.get("/runs/" + id + "/artifacts/" + path);
            assertThat(response.status()).as("%s: %s", path, response).isIn(400, 404);
            assertThat(response.text()).as(path).doesNotContain("root:");
        }
        TestServer.Response list = server.get("/runs/" + id + "/artifacts/out");
        assertThat(TestServer.texts(list.json(), "path")).doesNotContain("out/passwd", "out/relative", "out/root");
    }

    @Test
    void downloadsAreAttachmentsThatBrowsersDoNotRun() {
        TestServer.Response page = server.get("/runs/" + id + "/artifacts/out/page.html");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.text()).isEqualTo("<script>alert(1)</script>\n");
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.header("Content-Disposition")).isEqualTo("attachment; filename=\"page.html\"");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.header("Content-Security-Policy")).isEqualTo("sandbox");
    }

    @Test
    void rangesOnASmallFile() {
        String url = "/runs/" + id + "/artifacts/out/ok.txt";

        TestServer.Response first = server.get(url, "Range", "bytes=0-0");
        assertThat(first.status()).isEqualTo(206);
        assertThat(first.text()).isEqualTo("i");
        assertThat(first.header("Content-Range")).isEqualTo("bytes 0-0/7");
        assertThat(first.header("Content-Length")).isEqualTo("1");

        TestServer.Response clamped = server.get(url, "Range", "bytes=2-1000");
        assertThat(clamped.status()).isEqualTo(206);
        assertThat(clamped.text()).isEqualTo("side\n");
        assertThat(clamped.header("Content-Range")).isEqualTo("bytes 2-6/7");

        TestServer.Response several = server.get(url, "Range", "bytes=0-1,3-4");
        assertThat(several.status()).as("several ranges are answered with the whole file").isEqualTo(200);
        assertThat(several.text()).isEqualTo("inside\n");

        TestServer.Response malformed = server.get(url, "Range", "bytes=abc");
        assertThat(malformed.status()).isEqualTo(200);
        assertThat(malformed.text()).isEqualTo("inside\n");

        for (String bad : List.of("bytes=7-", "bytes=100-200", "bytes=-0")) {
            TestServer.Response unsatisfiable = server.get(url, "Range", bad);
            assertThat(unsatisfiable.status()).as(bad).isEqualTo(416);
            assertThat(unsatisfiable.header("Content-Range")).as(bad).isEqualTo("bytes */7");
        }
    }

    @Test
    void aFileOfSeveralBuffersComesWholeAndInRanges() throws Exception {
        String url = "/runs/" + id + "/artifacts/out/numbers.txt";
        byte[] onDisk = Files.readAllBytes(server.artifactsDir.resolve(id).resolve("out/numbers.txt"));
        assertThat(onDisk.length).as("larger than a few 256 KiB download buffers").isGreaterThan(1_000_000);

        TestServer.Response whole = server.get(url);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.header("Content-Length")).isEqualTo(Integer.toString(onDisk.length));
        assertThat(whole.body()).isEqualTo(onDisk);

        TestServer.Response middle = server.get(url, "Range", "bytes=1000-700000");
        assertThat(middle.status()).isEqualTo(206);
        assertThat(middle.header("Content-Range")).isEqualTo("bytes 1000-700000/" + onDisk.length);
        assertThat(middle.body()).isEqualTo(Arrays.copyOfRange(onDisk, 1000, 700_001));

        TestServer.Response tail = server.get(url, "Range", "bytes=-300000");
        assertThat(tail.status()).isEqualTo(206);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(onDisk, onDisk.length - 300_000, onDisk.length));
    }

    @Test
    void runWithoutExtractHasNoArtifacts() {
        JsonNode state = server.runSync(busybox("echo nothing > kept-inside.txt"));
        String other = state.path("id").asText();

        assertThat(state.path("artifacts")).isEmpty();
        TestServer.Response list = server.get("/runs/" + other + "/artifacts");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json()).isEmpty();
        assertThat(server.get("/runs/" + other + "/artifacts/kept-inside.txt").status()).isEqualTo(404);
        assertThat(new String(server.get("/runs/" + other + "/artifacts/kept-inside.txt").body(),
                StandardCharsets.UTF_8)).contains("not_found");
    }
}
