package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What clients really send: curl without a JSON Content-Type, bodies over the limit with and without Content-Length,
 * and a sync client that goes away before its run ends. The server here accepts bodies of at most 4096 bytes.
 */
class HttpTransportIT {
    static final int LIMIT = 4096;

    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, c -> c.bodyLimitBytes(LIMIT));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String postHead(String contentHeaders) {
        return "POST /run HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*"
                + (contentHeaders.isEmpty() ? "" : "\r\n" + contentHeaders);
    }

    /** A valid request padded (in a file's content) to exactly {@code bytes} bytes of JSON. */
    private static byte[] bodyOf(int bytes) {
        ObjectNode body = busybox("cat marker.txt | wc -c");
        String base = TestServer.toJson(body);
        int pad = bytes - base.length();
        ((ObjectNode) body.get("files")).put("marker.txt", "light-run test" + "x".repeat(pad));
        byte[] json = TestServer.toJson(body).getBytes(StandardCharsets.UTF_8);
        assertThat(json).hasSize(bytes);
        return json;
    }

    @Test
    void detachedRunPostedWithoutContentTypeIsAccepted() throws Exception {
        byte[] body = TestServer.toJson(busybox("echo no-content-type").put("detached", true))
                .getBytes(StandardCharsets.UTF_8);

        RawHttp.Answer answer = RawHttp.exchange(server.port(), postHead("Content-Length: " + body.length), body);

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        JsonNode accepted = TestServer.JSON.readTree(answer.body());
        assertThat(accepted.path("status").asText()).isEqualTo("running");
        String id = accepted.path("id").asText();
        assertThat(accepted.path("url").asText()).isEqualTo("/runs/" + id);
        JsonNode done = server.awaitFinished(id);
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("no-content-type\n");
        assertNoContainersLeftFor(id);
    }

    @Test
    void syncRunPostedWithoutContentTypeByHttpClientIsAccepted() {
        HttpRequest request = server.request("/run")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(busybox("echo plain")))).build();
        assertThat(request.headers().firstValue("Content-Type")).isEmpty();

        TestServer.Response response = TestServer.send(request);

        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat(response.json().path("logs").path("stdout").asText()).isEqualTo("plain\n");
    }

    @Test
    void runPostedAsCurlFormEncodingIsAccepted() throws Exception {
        // `curl -d '{...}' http://host/run` labels the JSON as a form.
        byte[] body = TestServer.toJson(busybox("echo form-encoded").put("detached", true))
                .getBytes(StandardCharsets.UTF_8);

        RawHttp.Answer answer = RawHttp.exchange(server.port(),
                postHead("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length), body);

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        String id = TestServer.JSON.readTree(answer.body()).path("id").asText();
        JsonNode done = server.awaitFinished(id);
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("form-encoded\n");
    }

    @Test
    void bodyAtTheLimitIsAccepted() {
        TestServer.Response response = server.postRaw("/run", bodyOf(LIMIT));

        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat(response.json().path("status").asText()).isEqualTo("succeeded");
        int fileBytes = LIMIT - TestServer.toJson(busybox("cat marker.txt | wc -c")).length()
                + "light-run test".length();
        assertThat(response.json().path("logs").path("stdout").asText().trim()).isEqualTo(Integer.toString(fileBytes));
    }

    @Test
    void bodyOverTheLimitIs413() {
        String before = server.get("/runs").text();

        TestServer.Response response = server.postRaw("/run", bodyOf(LIMIT + 1));

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().path("error").asText()).isEqualTo("payload_too_large");
        assertThat(response.json().path("message").asText()).contains(Integer.toString(LIMIT));
        assertThat(server.get("/runs").text()).isEqualTo(before);
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        String before = server.get("/runs").text();

        RawHttp.Answer answer = RawHttp.exchange(server.port(),
                postHead("Content-Type: application/json\r\nTransfer-Encoding: chunked"),
                RawHttp.chunked(bodyOf(3 * LIMIT), 1000));

        assertThat(answer.status()).as(answer.text()).isEqualTo(413);
        JsonNode error = TestServer.JSON.readTree(answer.body());
        assertThat(error.path("error").asText()).isEqualTo("payload_too_large");
        assertThat(server.get("/runs").text()).isEqualTo(before);
    }

    @Test
    void streamedBodyWithoutContentLengthOverTheLimitIs413() {
        byte[] big = bodyOf(2 * LIMIT);
        HttpRequest request = server.request("/run").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        assertThat(request.bodyPublisher().orElseThrow().contentLength()).isNegative();

        TestServer.Response response = TestServer.send(request);

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().path("error").asText()).isEqualTo("payload_too_large");
    }

    @Test
    void chunkedBodyUnderTheLimitIsAccepted() throws Exception {
        byte[] body = TestServer.toJson(busybox("echo chunked-ok")).getBytes(StandardCharsets.UTF_8);

        RawHttp.Answer answer = RawHttp.exchange(server.port(),
                postHead("Content-Type: application/json\r\nTransfer-Encoding: chunked"), RawHttp.chunked(body, 16));

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(TestServer.JSON.readTree(answer.body()).path("logs").path("stdout").asText())
                .isEqualTo("chunked-ok\n");
    }

    @Test
    void syncClientThatGoesAwayDoesNotOrphanItsRun(@TempDir Path otherArtifacts) throws Exception {
        try (TestServer fresh = TestServer.start(otherArtifacts)) {
            byte[] body = TestServer.toJson(busybox("echo started; sleep 3; echo finished"))
                    .getBytes(StandardCharsets.UTF_8);
            try (Socket socket = new Socket("127.0.0.1", fresh.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(body);
                out.flush();
                await().atMost(Duration.ofSeconds(20)).until(() -> fresh.get("/runs").json().size() == 1);
                assertThat(fresh.get("/runs").json().get(0).path("status").asText()).isEqualTo("running");
            }
            // The client is gone while the container still sleeps.
            String id = fresh.get("/runs").json().get(0).path("id").asText();

            JsonNode done = fresh.awaitFinished(id, Duration.ofSeconds(30));

            assertThat(done.path("status").asText()).isEqualTo("succeeded");
            assertThat(done.path("logs").path("stdout").asText()).isEqualTo("started\nfinished\n");
            assertThat(TestServer.texts(fresh.get("/runs").json(), "status")).containsExactly("succeeded");
            assertNoContainersLeftFor(id);
        }
    }
}
