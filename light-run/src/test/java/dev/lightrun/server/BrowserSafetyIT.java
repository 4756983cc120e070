package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server on a laptop: web pages of other origins and DNS-rebound names get nothing, whether the server has a token
 * or not; programs without an Origin (curl, SDKs) work as before; an allowed origin gets CORS. Raw HTTP, since the
 * JDK client will not send an arbitrary Host.
 */
class BrowserSafetyIT {
    static final String TOKEN = "browser-test-token-5f1c";
    static final String ALLOWED = "http://localhost:5173";
    static final String EVIL = "http://evil.example";

    @TempDir
    static Path openArtifacts;
    @TempDir
    static Path tokenArtifacts;
    static TestServer open;
    static TestServer withToken;

    @BeforeAll
    static void start() {
        open = TestServer.start(openArtifacts,
                c -> c.allowedOrigins(List.of(ALLOWED)).allowedHosts(List.of("light-run.internal")));
        withToken = TestServer.start(tokenArtifacts, c -> c.token(TOKEN).allowedOrigins(List.of(ALLOWED))
                .allowedHosts(List.of("light-run.internal")));
    }

    @AfterAll
    static void stop() {
        open.close();
        withToken.close();
    }

    private static byte[] runBody() {
        return TestServer.toJson(busybox("echo hello")).getBytes(StandardCharsets.UTF_8);
    }

    /** A request as a browser (or curl) sends it: {@code headers} are extra header lines, Host included. */
    private static RawHttp.Answer send(TestServer server, String method, String path, byte[] body, String... headers)
            throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1");
        for (String header : headers) {
            head.append("\r\n").append(header);
        }
        if (body.length > 0) {
            head.append("\r\nContent-Length: ").append(body.length);
        }
        return RawHttp.exchange(server.port(), head.toString(), body);
    }

    private static String localHost(TestServer server) {
        return "Host: 127.0.0.1:" + server.port();
    }

    private static JsonNode json(RawHttp.Answer answer) throws IOException {
        return TestServer.JSON.readTree(answer.body());
    }

    private static void assertRefused(RawHttp.Answer answer, int status, String code) throws IOException {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(json(answer).path("error").asText()).isEqualTo(code);
        assertThat(json(answer).path("message").asText()).isNotBlank();
        assertThat(answer.headers()).as("no CORS for a refused page").doesNotContainKey("access-control-allow-origin");
    }

    private static int containersOfAnyRun() {
        // Runs' containers only: a warm pool's idle containers (kind=pool) come and go on their own.
        return TestServer.docker("ps", "-a", "-q", "--filter", "label=dev.lightrun.run-id",
                "--filter", "label=dev.lightrun.kind=run").size();
    }

    @Test
    void crossSiteSimplePostStartsNothingWithOrWithoutAToken() throws IOException {
        int before = containersOfAnyRun();

        RawHttp.Answer openAnswer = send(open, "POST", "/run", runBody(), localHost(open), "Origin: " + EVIL,
                "Content-Type: text/plain");
        RawHttp.Answer tokenAnswer = send(withToken, "POST", "/run", runBody(), localHost(withToken),
                "Origin: " + EVIL, "Content-Type: text/plain", "Authorization: Bearer " + TOKEN);
        RawHttp.Answer tokenJson = send(withToken, "POST", "/run", runBody(), localHost(withToken),
                "Origin: " + EVIL, "Content-Type: application/json", "Authorization: Bearer " + TOKEN);

        assertRefused(openAnswer, 403, "origin_not_allowed");
        assertThat(json(openAnswer).path("message").asText()).contains(EVIL, "--allowed-origins");
        assertRefused(tokenAnswer, 403, "origin_not_allowed");
        assertRefused(tokenJson, 403, "origin_not_allowed");
        assertThat(open.get("/runs").json()).as("runs of the open server").isEmpty();
        assertThat(withToken.get("/runs").json()).as("runs of the server with a token").isEmpty();
        assertThat(containersOfAnyRun()).as("containers of any run").isEqualTo(before);
    }

    @Test
    void reportedRequestIsRefusedAsRebinding() throws IOException {
        int before = containersOfAnyRun();

        RawHttp.Answer answer = send(open, "POST", "/run", runBody(), "Host: evil.example:3000",
                "Origin: http://evil.example:3000", "Content-Type: text/plain");

        assertRefused(answer, 403, "host_not_allowed");
        assertThat(open.get("/runs").json()).isEmpty();
        assertThat(containersOfAnyRun()).isEqualTo(before);
    }

    @Test
    void reboundNameGetsNothingNotEvenHealth() throws IOException {
        for (TestServer server : List.of(open, withToken)) {
            RawHttp.Answer health = send(server, "GET", "/health", new byte[0], "Host: evil.example:" + server.port());
            RawHttp.Answer runs = send(server, "GET", "/runs", new byte[0], "Host: evil.example:" + server.port(),
                    "Authorization: Bearer " + TOKEN);

            assertRefused(health, 403, "host_not_allowed");
            assertThat(health.text()).doesNotContain("version");
            assertRefused(runs, 403, "host_not_allowed");
        }
    }

    @Test
    void loopbackNamesAndAllowedHostsAreServed() throws IOException {
        for (String host : List.of("127.0.0.1:" + open.port(), "localhost:" + open.port(), "[::1]:" + open.port(),
                "light-run.internal")) {
            RawHttp.Answer health = send(open, "GET", "/health", new byte[0], "Host: " + host);

            assertThat(health.status()).as("Host %s: %s", host, health.text()).isEqualTo(200);
            assertThat(health.headers()).doesNotContainKey("access-control-allow-origin");
        }
    }

    @Test
    void curlLikeRequestsWithoutOriginWorkAsBefore() throws IOException {
        RawHttp.Answer form = send(open, "POST", "/run", runBody(), localHost(open), "User-Agent: curl/8.5.0",
                "Content-Type: application/x-www-form-urlencoded");
        RawHttp.Answer none = send(withToken, "POST", "/run", runBody(), localHost(withToken),
                "Authorization: Bearer " + TOKEN);

        for (RawHttp.Answer answer : List.of(form, none)) {
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            assertThat(json(answer).path("exitCode").asInt()).isZero();
            assertThat(json(answer).path("logs").path("stdout").asText()).isEqualTo("hello\n");
            assertThat(answer.headers().get("vary")).isEqualTo("Origin");
            TestServer.assertNoContainersLeftFor(json(answer).path("id").asText());
        }
    }

    @Test
    void allowedOriginRunsWithCorsHeaders() throws IOException {
        RawHttp.Answer answer = send(withToken, "POST", "/run", runBody(), localHost(withToken), "Origin: " + ALLOWED,
                "Content-Type: application/json; charset=UTF-8", "Authorization: Bearer " + TOKEN);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(json(answer).path("exitCode").asInt()).isZero();
        assertThat(answer.headers().get("access-control-allow-origin")).isEqualTo(ALLOWED);
        assertThat(answer.headers().get("vary")).isEqualTo("Origin");
        assertThat(answer.headers()).doesNotContainKey("access-control-allow-credentials");
        TestServer.assertNoContainersLeftFor(json(answer).path("id").asText());
    }

    @Test
    void allowedOriginCanReadItsErrorsToo() throws IOException {
        RawHttp.Answer noToken = send(withToken, "GET", "/runs", new byte[0], localHost(withToken),
                "Origin: " + ALLOWED);

        assertThat(noToken.status()).isEqualTo(401);
        assertThat(noToken.headers().get("access-control-allow-origin")).isEqualTo(ALLOWED);
    }

    @Test
    void allowedOriginsPreflightIsAnsweredAndAnotherIsRefused() throws IOException {
        for (TestServer server : List.of(open, withToken)) {
            RawHttp.Answer allowed = send(server, "OPTIONS", "/run", new byte[0], localHost(server),
                    "Origin: " + ALLOWED, "Access-Control-Request-Method: POST",
                    "Access-Control-Request-Headers: authorization,content-type");
            RawHttp.Answer evil = send(server, "OPTIONS", "/run", new byte[0], localHost(server), "Origin: " + EVIL,
                    "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type");

            assertThat(allowed.status()).as(allowed.text()).isEqualTo(204);
            assertThat(allowed.headers().get("access-control-allow-origin")).isEqualTo(ALLOWED);
            assertThat(allowed.headers().get("access-control-allow-methods")).contains("POST", "GET", "DELETE");
            assertThat(allowed.headers().get("access-control-allow-headers").toLowerCase())
                    .contains("authorization", "content-type");
            assertThat(allowed.headers().get("access-control-max-age")).isEqualTo("600");
            assertThat(allowed.headers().get("vary")).isEqualTo("Origin");
            assertThat(allowed.headers()).doesNotContainKey("access-control-allow-credentials");
            assertRefused(evil, 403, "origin_not_allowed");
        }
    }

    @Test
    void serversOwnOriginIsAllowed() throws IOException {
        String own = "http://localhost:" + open.port();

        RawHttp.Answer answer = send(open, "GET", "/runs", new byte[0], "Host: localhost:" + open.port(),
                "Origin: " + own);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.headers().get("access-control-allow-origin")).isEqualTo(own);
    }

    @Test
    void pageBodyThatIsNotJsonIs415() throws IOException {
        int before = containersOfAnyRun();

        RawHttp.Answer plain = send(open, "POST", "/run", runBody(), localHost(open), "Origin: " + ALLOWED,
                "Content-Type: text/plain");
        RawHttp.Answer form = send(open, "POST", "/run", runBody(), localHost(open), "Origin: " + ALLOWED,
                "Content-Type: application/x-www-form-urlencoded");

        assertThat(plain.status()).as(plain.text()).isEqualTo(415);
        assertThat(json(plain).path("error").asText()).isEqualTo("unsupported_media_type");
        assertThat(form.status()).isEqualTo(415);
        assertThat(open.get("/runs").json()).isEmpty();
        assertThat(containersOfAnyRun()).isEqualTo(before);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"image\": \"light-run-test/busybox\", \"files\": {\"a\": \"x\"}} trailing    | $",
            "{\"image\": \"light-run-test/busybox\", \"files\": {\"a\": \"x\"}} {}          | $",
            "{\"image\": 123, \"files\": {\"a\": \"x\"}}                                    | image",
            "{\"image\": \"light-run-test/busybox\", \"entrypoint\": 1, \"files\": {}}      | entrypoint",
            "{\"image\": \"light-run-test/busybox\", \"network\": 1, \"files\": {}}         | network",
            "{\"image\": \"light-run-test/busybox\", \"env\": {\"A\": 1}, \"files\": {}}    | env[A]",
            "{\"image\": \"a\", \"image\": \"light-run-test/busybox\", \"files\": {}}       | image",
    })
    void looseJsonIs400NamingTheField(String body, String path) {
        int before = containersOfAnyRun();

        TestServer.Response response = open.postRaw("/run", body.getBytes(StandardCharsets.UTF_8));

        assertThat(response.status()).as("%s", response).isEqualTo(400);
        assertThat(response.json().path("error").asText()).isEqualTo("bad_request");
        assertThat(TestServer.texts(response.json().path("details"), "path")).contains(path);
        assertThat(containersOfAnyRun()).isEqualTo(before);
    }

    @Test
    void controlBodiesAreStrictToo() {
        String id = "0190a0a0-0000-7000-8000-000000000000";

        TestServer.Response duplicate = open.postRaw("/runs/" + id + "/stop",
                "{\"signal\": \"INT\", \"signal\": \"KILL\"}".getBytes(StandardCharsets.UTF_8));
        TestServer.Response trailing = open.postRaw("/networks/cleanup",
                "{\"prefix\": \"x\"} x".getBytes(StandardCharsets.UTF_8));

        assertThat(duplicate.status()).as("%s", duplicate).isEqualTo(400);
        assertThat(TestServer.texts(duplicate.json().path("details"), "path")).containsExactly("signal");
        assertThat(trailing.status()).as("%s", trailing).isEqualTo(400);
        assertThat(TestServer.texts(trailing.json().path("details"), "path")).containsExactly("$");
    }
}
