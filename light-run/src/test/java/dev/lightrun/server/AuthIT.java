package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;

/** A server with a token: every route but /health and /openapi.json wants {@code Authorization: Bearer <token>}. */
class AuthIT {
    static final String TOKEN = "test-token-0b6c1e7a9d";
    static final String SOME_ID = "0190a0a0-0000-7000-8000-000000000000";

    @RegisterExtension
    static final TestServer server = TestServer.extension(c -> c.token(TOKEN));

    private static HttpRequest.Builder anonymous(String path) {
        return HttpRequest.newBuilder(server.uri(path));
    }

    private static void assertUnauthorized(TestServer.Response response) {
        assertThat(response.status()).as("%s", response).isEqualTo(401);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
        JsonNode body = response.json();
        assertThat(body.path("error").asText()).isEqualTo("unauthorized");
        assertThat(body.path("message").asText()).isNotBlank().doesNotContain(TOKEN);
    }

    private static void assertUnauthorized(RawHttp.Answer answer) throws Exception {
        assertThat(answer.status()).as(answer.text()).isEqualTo(401);
        assertThat(answer.headers().get("www-authenticate")).isEqualTo("Bearer");
        assertThat(TestServer.JSON.readTree(answer.body()).path("error").asText()).isEqualTo("unauthorized");
    }

    /** The routes open without a token: /health, the OpenAPI document, and the dashboard's page and files. */
    private static final List<String> OPEN_ROUTES = List.of("GET /health", "GET /openapi.json", "GET /", "GET /ui",
            "GET /ui/<file>");

    /** A request for every registered route but the open ones, with a path that would otherwise reach its handler. */
    private static List<HttpRequest.Builder> everyProtectedRoute() {
        return server.server.routes().stream()
                .filter(route -> !OPEN_ROUTES.contains(route))
                .map(route -> {
                    String method = route.substring(0, route.indexOf(' '));
                    String path = route.substring(route.indexOf(' ') + 1)
                            .replace("{id}", SOME_ID).replace("{name}", "some-network")
                            .replace("<path>", "out/x.txt");
                    HttpRequest.BodyPublisher body = method.equals("POST")
                            ? HttpRequest.BodyPublishers.ofString(TestServer.toJson(busybox("echo never")))
                            : HttpRequest.BodyPublishers.noBody();
                    return anonymous(path).method(method, body);
                })
                .toList();
    }

    @Test
    void everyRouteButTheOpenOnesNeedsTheToken() {
        List<HttpRequest.Builder> requests = everyProtectedRoute();
        assertThat(requests).hasSize(server.server.routes().size() - OPEN_ROUTES.size());

        for (HttpRequest.Builder request : requests) {
            assertUnauthorized(TestServer.send(request.build()));
        }
        assertThat(server.get("/runs").json()).as("no run was started without the token").isEmpty();
    }

    @Test
    void missingHeaderIs401() {
        assertUnauthorized(TestServer.send(anonymous("/runs").GET().build()));
    }

    @Test
    void bearerWithAnEmptyTokenIs401() throws Exception {
        for (String value : List.of("Bearer ", "Bearer", "Bearer    ")) {
            RawHttp.Answer answer = RawHttp.exchange(server.port(),
                    "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + value, new byte[0]);
            assertUnauthorized(answer);
        }
    }

    @Test
    void wrongSchemeIs401() {
        String basic = Base64.getEncoder().encodeToString(("user:" + TOKEN).getBytes(StandardCharsets.UTF_8));
        assertUnauthorized(TestServer.send(anonymous("/runs").header("Authorization", "Basic " + basic).build()));
        assertUnauthorized(TestServer.send(anonymous("/runs").header("Authorization", TOKEN).build()));
        assertUnauthorized(TestServer.send(anonymous("/runs").header("Authorization", "Token " + TOKEN).build()));
    }

    @Test
    void wrongTokenIs401() {
        for (String wrong : List.of("nope", TOKEN + "x", TOKEN.substring(1), TOKEN.toUpperCase())) {
            TestServer.Response response = TestServer.send(anonymous("/runs")
                    .header("Authorization", "Bearer " + wrong).build());
            assertThat(response.status()).as("Bearer %s", wrong).isEqualTo(401);
            assertUnauthorized(response);
        }
    }

    @Test
    void tokenInAnotherLetterCaseIs401EvenOnAConnectionThatSentTheRightOne() throws Exception {
        String head = "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ";

        List<RawHttp.Answer> answers = RawHttp.sequence(server.port(), head + TOKEN, head + TOKEN.toUpperCase(),
                head + "Test-Token-0B6C1E7A9D", head + TOKEN);

        assertThat(answers).extracting(RawHttp.Answer::status).containsExactly(200, 401, 401, 200);
        assertThat(answers.get(1).headers().get("www-authenticate")).isEqualTo("Bearer");
    }

    @Test
    void rightTokenIsServed() {
        TestServer.Response list = TestServer.send(anonymous("/runs")
                .header("Authorization", "Bearer " + TOKEN).build());
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().isArray()).isTrue();

        TestServer.Response run = server.submit(busybox("echo authorized"));
        assertThat(run.status()).isEqualTo(200);
        assertThat(run.json().path("logs").path("stdout").asText()).isEqualTo("authorized\n");
        String id = run.json().path("id").asText();
        assertThat(server.get("/runs/" + id).status()).isEqualTo(200);
        assertThat(server.get("/openapi.json").status()).isEqualTo(200);
        assertThat(TestServer.send(anonymous("/runs/" + id)
                .header("Authorization", "bearer " + TOKEN).build()).status())
                .as("the scheme is case-insensitive").isEqualTo(200);
        TestServer.assertNoContainersLeftFor(id);
    }

    @Test
    void healthNeedsNoToken() {
        TestServer.Response open = TestServer.send(anonymous("/health").GET().build());
        assertThat(open.status()).isEqualTo(200);
        assertThat(open.json().path("status").asText()).isEqualTo("ok");

        TestServer.Response wrong = TestServer.send(anonymous("/health")
                .header("Authorization", "Bearer wrong").GET().build());
        assertThat(wrong.status()).isEqualTo(200);

        TestServer.Response openApi = TestServer.send(anonymous("/openapi.json").GET().build());
        assertThat(openApi.status()).as("the API's description is public").isEqualTo(200);
        assertThat(openApi.json().path("paths").has("/audit")).isTrue();
    }
}
