package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every rule of a run request: a broken one is a 400 {@code bad_request} whose details name the field, and nothing is
 * started (the server is fresh, so GET /runs must stay empty).
 */
class ValidationIT {
    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void nothingWasStarted() {
        TestServer.Response runs = server.get("/runs");
        assertThat(runs.status()).isEqualTo(200);
        assertThat(runs.json()).as("runs recorded by rejected requests").isEmpty();
        assertThat(artifacts).isEmptyDirectory();
    }

    /** Posts the body and asserts a 400 naming {@code path}; returns that detail's message. */
    private static String rejected(Object body, String path) {
        return rejected(TestServer.toJson(body).getBytes(StandardCharsets.UTF_8), path);
    }

    private static String rejected(byte[] body, String path) {
        TestServer.Response response = server.postRaw("/run", body);
        assertThat(response.status()).as("answer to %s", new String(body, StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode json = response.json();
        assertThat(json.path("error").asText()).isEqualTo("bad_request");
        assertThat(json.has("id")).as("a rejected request has no run id").isFalse();
        assertThat(json.path("message").asText()).isNotBlank();
        assertThat(texts(json.path("details"), "path")).as("details of %s", response).contains(path);
        JsonNode detail = null;
        for (JsonNode d : json.path("details")) {
            if (d.path("path").asText().equals(path)) {
                detail = d;
            }
        }
        assertThat(detail.path("message").asText()).isNotBlank();
        return detail.path("message").asText();
    }

    private static ArrayNode array(Object... values) {
        return TestServer.JSON.valueToTree(List.of(values));
    }

    @Test
    void unknownFieldIsNamed() {
        ObjectNode body = busybox("true").put("imgae", "typo").put("timeoutMs", 5);

        TestServer.Response response = server.submit(body);

        assertThat(response.status()).isEqualTo(400);
        assertThat(texts(response.json().path("details"), "path")).containsExactlyInAnyOrder("imgae", "timeoutMs");
        assertThat(rejected(body, "imgae")).contains("unknown field");
    }

    @Test
    void imageIsRequired() {
        ObjectNode body = busybox("true");
        body.remove("image");
        rejected(body, "image");
        rejected(busybox("true").put("image", ""), "image");
        rejected(busybox("true").putNull("image"), "image");
    }

    @Test
    void imageOfMoreThan300CharactersIsRefused() {
        rejected(busybox("true").put("image", "a".repeat(301)), "image");
    }

    @Test
    void imageWithSpacesIsRefused() {
        assertThat(rejected(busybox("true").put("image", "busybox; rm -rf /"), "image")).contains("spaces");
    }

    @Test
    void filesAreRequiredAndNotEmpty() {
        ObjectNode missing = busybox("true");
        missing.remove("files");
        rejected(missing, "files");

        ObjectNode empty = busybox("true");
        empty.putObject("files");
        assertThat(rejected(empty, "files")).contains("at least one file");
    }

    @Test
    void absoluteFilePathIsRefused() {
        ObjectNode body = busybox("true");
        ((ObjectNode) body.get("files")).put("/etc/cron.d/evil", "x");
        assertThat(rejected(body, "files[/etc/cron.d/evil]")).contains("relative");
    }

    @Test
    void filePathWithDotDotIsRefused() {
        for (String path : List.of("../escape.txt", "a/../../b.txt", "a/..", "./a.txt", "a//b.txt")) {
            ObjectNode body = busybox("true");
            ((ObjectNode) body.get("files")).put(path, "x");
            rejected(body, "files[" + path + "]");
        }
    }

    @Test
    void filePathOver1024CharactersIsRefused() {
        String path = "d/".repeat(520) + "f.txt";
        ObjectNode body = busybox("true");
        ((ObjectNode) body.get("files")).put(path, "x");
        assertThat(rejected(body, "files[" + path + "]")).contains("1024");
    }

    @Test
    void fileContentMustBeAStringOrBase64Object() {
        ObjectNode number = busybox("true");
        ((ObjectNode) number.get("files")).put("n.txt", 42);
        rejected(number, "files[n.txt]");

        ObjectNode array = busybox("true");
        ((ObjectNode) array.get("files")).set("a.txt", array("x"));
        rejected(array, "files[a.txt]");

        ObjectNode otherKey = busybox("true");
        ((ObjectNode) otherKey.get("files")).putObject("o.txt").put("hex", "00");
        rejected(otherKey, "files[o.txt]");

        ObjectNode badBase64 = busybox("true");
        ((ObjectNode) badBase64.get("files")).putObject("b.bin").put("base64", "not base64 !!!");
        assertThat(rejected(badBase64, "files[b.bin]")).contains("base64");

        ObjectNode nullContent = busybox("true");
        ((ObjectNode) nullContent.get("files")).putNull("z.txt");
        rejected(nullContent, "files[z.txt]");
    }

    @Test
    void entrypointOver2048CharactersIsRefused() {
        rejected(busybox("echo " + "x".repeat(2044)), "entrypoint");
        rejected(busybox(""), "entrypoint");
    }

    @Test
    void moreThan50BuildStepsAreRefused() {
        ArrayNode steps = TestServer.JSON.createArrayNode();
        for (int i = 0; i < 51; i++) {
            steps.add("true");
        }
        rejected(busybox("true").set("run", steps), "run");
        rejected(busybox("true").set("run", array("true", " ")), "run[1]");
    }

    @Test
    void timeoutMustBeBetween1MsAndOneHour() {
        rejected(busybox("true").put("timeout", 0), "timeout");
        rejected(busybox("true").put("timeout", -5), "timeout");
        rejected(busybox("true").put("timeout", 3_600_001), "timeout");
        rejected(busybox("true").put("timeout", "1000"), "timeout");
        rejected(busybox("true").put("timeout", 1.5), "timeout");
    }

    @Test
    void networkAndNetworksAreExclusive() {
        assertThat(rejected(busybox("true").put("network", "none").set("networks", array("bridge")), "networks"))
                .contains("either");
    }

    @Test
    void atMost20Networks() {
        Object[] names = new Object[21];
        for (int i = 0; i < names.length; i++) {
            names[i] = "net" + i;
        }
        rejected(busybox("true").set("networks", array(names)), "networks");
        rejected(busybox("true").set("networks", array()), "networks");
    }

    @Test
    void hostAndContainerNetworksAreRefusedUnlessAllowed() {
        assertThat(rejected(busybox("true").put("network", "host"), "network")).contains("host");
        rejected(busybox("true").put("network", "container:abc"), "network");
        rejected(busybox("true").set("networks", array("host")), "networks");
        rejected(busybox("true").put("network", "no such name!"), "network");
    }

    @Test
    void workdirMustBeAbsolute() {
        rejected(busybox("true").put("workdir", "app"), "workdir");
        rejected(busybox("true").put("workdir", "/"), "workdir");
        rejected(busybox("true").put("workdir", "/app/../etc"), "workdir");
    }

    @Test
    void envNamesMustBeShellNames() {
        for (String name : List.of("A-B", "1ABC", "WITH SPACE", "")) {
            ObjectNode body = busybox("true");
            body.putObject("env").put(name, "v");
            assertThat(rejected(body, "env[" + name + "]")).contains("[A-Za-z_][A-Za-z0-9_]*");
        }
        ObjectNode notString = busybox("true");
        notString.putObject("env").putObject("N").put("nested", "x");
        rejected(notString, "env[N]");
    }

    @Test
    void extractPathsMustBeAbsoluteNormalizedAndAtMost20() {
        assertThat(rejected(busybox("true").set("extract", array("app/out")), "extract[0]")).contains("absolute");
        rejected(busybox("true").set("extract", array("/app/ok", "/app/../etc/passwd")), "extract[1]");
        rejected(busybox("true").set("extract", array("/")), "extract[0]");
        rejected(busybox("true").set("extract", array("/a/out", "/b/out")), "extract[1]");
        Object[] paths = new Object[21];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = "/app/f" + i;
        }
        rejected(busybox("true").set("extract", array(paths)), "extract");
    }

    @Test
    void callbackFieldsNeedDetached() {
        assertThat(rejected(busybox("true").put("callbackUrl", "http://127.0.0.1:9/hook"), "callbackUrl"))
                .contains("detached");
        rejected(busybox("true").put("detached", false).put("callbackUrl", "http://127.0.0.1:9/hook"),
                "callbackUrl");
        rejected(busybox("true").put("callbackSecret", "0123456789abcdef0123"), "callbackSecret");
    }

    @Test
    void callbackSecretOfFewerThan16CharactersIsRefused() {
        rejected(busybox("true").put("detached", true).put("callbackUrl", "http://127.0.0.1:9/hook")
                .put("callbackSecret", "short"), "callbackSecret");
        rejected(busybox("true").put("detached", true).put("callbackSecret", "0123456789abcdef0123"),
                "callbackSecret");
    }

    @Test
    void callbackUrlMustBeHttpOrHttps() {
        for (String url : List.of("ftp://example.com/hook", "file:///etc/passwd", "not a url", "http:///nohost")) {
            rejected(busybox("true").put("detached", true).put("callbackUrl", url), "callbackUrl");
        }
    }

    @Test
    void inputNeedsAnEntrypoint() {
        ObjectNode body = busybox("true");
        body.remove("entrypoint");
        body.putObject("input").put("a", 1);
        rejected(body, "input");
    }

    @Test
    void detachedMustBeABoolean() {
        rejected(busybox("true").put("detached", "yes"), "detached");
    }

    @Test
    void malformedJsonIsRefused() {
        assertThat(rejected("{\"image\": \"x\", ".getBytes(StandardCharsets.UTF_8), "$")).contains("JSON");
        rejected("not json at all".getBytes(StandardCharsets.UTF_8), "$");
        rejected("[1, 2]".getBytes(StandardCharsets.UTF_8), "$");
        rejected("\"a string\"".getBytes(StandardCharsets.UTF_8), "$");
    }

    @Test
    void emptyBodyIsRefused() {
        assertThat(rejected(new byte[0], "$")).contains("empty");
    }

    @Test
    void everyBrokenFieldIsReportedAtOnce() {
        ObjectNode body = busybox("true").put("timeout", 0).put("workdir", "rel");
        body.putObject("env").put("A-B", "x");
        body.remove("image");

        TestServer.Response response = server.submit(body);

        assertThat(response.status()).isEqualTo(400);
        assertThat(texts(response.json().path("details"), "path"))
                .containsExactly("env[A-B]", "image", "timeout", "workdir");
    }

    @Test
    void hostNetworkIsAcceptedWhenTheOperatorAllowsIt(@TempDir Path otherArtifacts) {
        try (TestServer allowing = TestServer.start(otherArtifacts, c -> c.allowHostNetworks(true))) {
            TestServer.Response response = allowing.submit(busybox("echo on-host").put("network", "host"));

            assertThat(response.status()).as("answer %s", response).isEqualTo(200);
            JsonNode state = response.json();
            assertThat(state.path("status").asText()).isEqualTo("succeeded");
            assertThat(state.path("logs").path("stdout").asText()).isEqualTo("on-host\n");
            TestServer.assertNoContainersLeftFor(state.path("id").asText());
        }
    }
}
