package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.auth.Tokens;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server with a keys file and a token: each key sees only its own runs (another key's run is 404 on every route),
 * each route needs its scope, failed authentications are limited per address, the file reloads while the server
 * runs, and mutating requests are audited without a secret.
 */
class KeysIT {
    static final String ADMIN = "admin-token-5f0c1d";
    static final String TEAM_A = "lr_team-a-token-8d2e";
    static final String TEAM_B = "lr_team-b-token-41aa";
    static final String READER = "lr_reader-token-77c3";
    static final String NETWORKER = "lr_networker-token-c9";
    static final String BUILDER = "lr_builder-token-e2f1";
    static final String UNKNOWN_ID = "0190a0a0-0000-7000-8000-000000000000";

    @TempDir
    static Path root;
    static Path keysFile;
    static TestServer server;

    static List<ApiKey> baseKeys() {
        return List.of(
                key("team-a", TEAM_A, Scope.RUN, Scope.READ),
                key("team-b", TEAM_B, Scope.RUN, Scope.READ),
                key("reader", READER, Scope.READ),
                key("networker", NETWORKER, Scope.NETWORKS),
                key("builder", BUILDER, Scope.RUN, Scope.READ, Scope.BUILD));
    }

    static ApiKey key(String name, String token, Scope... scopes) {
        return new ApiKey(name, Tokens.sha256(token), Set.of(scopes), Quota.UNLIMITED);
    }

    @BeforeAll
    static void start() throws Exception {
        keysFile = root.resolve("keys.json");
        KeysFile.write(keysFile, baseKeys());
        server = TestServer.start(root.resolve("artifacts"), c -> c.token(ADMIN).keysFile(keysFile));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static TestServer.Response as(String token, String method, String path) {
        return as(token, method, path, null);
    }

    static TestServer.Response as(String token, String method, String path, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(TestServer.toJson(body)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return TestServer.send(request.build());
    }

    static void assertForbidden(TestServer.Response response, String scope) {
        assertThat(response.status()).as("%s", response).isEqualTo(403);
        assertThat(response.json().path("error").asText()).isEqualTo("forbidden");
        assertThat(response.json().path("scope").asText()).isEqualTo(scope);
        assertThat(response.json().path("message").asText()).contains("scope " + scope);
    }

    /** A detached run of {@code token}'s key that keeps running until cancelled. */
    static String longRun(String token) {
        TestServer.Response started = as(token, "POST", "/run",
                busybox("echo ready; while true; do sleep 0.1; done").put("detached", true));
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        String id = started.json().path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                as(token, "GET", "/runs/" + id).json().path("status").asText().equals("running"));
        return id;
    }

    @Test
    void aKeySeesOnlyItsOwnRunsAndAnotherKeysRunIs404OnEveryRoute() {
        ObjectNode withFiles = busybox("mkdir -p out && echo secret-output > out/x.txt && echo done");
        withFiles.set("extract", TestServer.JSON.valueToTree(List.of("/app/out")));
        TestServer.Response finished = as(TEAM_A, "POST", "/run", withFiles);
        assertThat(finished.status()).as("%s", finished).isEqualTo(200);
        String done = finished.json().path("id").asText();
        assertThat(finished.json().path("owner").asText()).isEqualTo("team-a");
        String running = longRun(TEAM_A);
        try {
            TestServer.Response unknown = as(TEAM_B, "GET", "/runs/" + UNKNOWN_ID);
            assertThat(unknown.status()).isEqualTo(404);
            for (String[] route : List.of(
                    new String[] {"GET", "/runs/%s"}, new String[] {"GET", "/runs/%s/logs"},
                    new String[] {"GET", "/runs/%s/logs?follow=true"},
                    new String[] {"GET", "/runs/%s/artifacts"}, new String[] {"GET", "/runs/%s/artifacts/out/x.txt"},
                    new String[] {"POST", "/runs/%s/cancel"}, new String[] {"POST", "/runs/%s/stop"},
                    new String[] {"POST", "/runs/%s/pause"}, new String[] {"POST", "/runs/%s/resume"},
                    new String[] {"DELETE", "/runs/%s"})) {
                for (String id : List.of(done, running)) {
                    TestServer.Response other = as(TEAM_B, route[0], route[1].formatted(id));
                    assertThat(other.status()).as("team-b: %s %s -> %s", route[0], route[1], other).isEqualTo(404);
                    assertThat(other.text()).as("the body of an unknown id")
                            .isEqualTo(unknown.text().replace(UNKNOWN_ID, id));
                }
            }
            assertThat(as(TEAM_A, "GET", "/runs/" + running).json().path("status").asText())
                    .as("still running after team-b's attempts").isEqualTo("running");
            assertThat(as(TEAM_A, "GET", "/runs/" + done + "/artifacts/out/x.txt").text()).isEqualTo("secret-output\n");
            assertThat(as(TEAM_A, "GET", "/runs/" + done + "/logs").text()).isEqualTo("done\n");

            List<String> teamA = TestServer.texts(as(TEAM_A, "GET", "/runs").json(), "id");
            List<String> teamB = TestServer.texts(as(TEAM_B, "GET", "/runs").json(), "id");
            assertThat(teamA).contains(done, running);
            assertThat(teamB).doesNotContain(done, running);
            assertThat(TestServer.texts(as(TEAM_A, "GET", "/runs").json(), "owner")).containsOnly("team-a");
            assertThat(TestServer.texts(as(TEAM_A, "GET", "/runs?owner=team-a").json(), "id")).contains(done);
            assertForbidden(as(TEAM_A, "GET", "/runs?owner=team-b"), "admin");

            List<String> all = TestServer.texts(as(ADMIN, "GET", "/runs").json(), "id");
            assertThat(all).contains(done, running);
            assertThat(TestServer.texts(as(ADMIN, "GET", "/runs?owner=team-a").json(), "owner")).containsOnly("team-a");
            assertThat(TestServer.texts(as(ADMIN, "GET", "/runs?owner=team-b").json(), "id")).doesNotContain(done);
            assertThat(as(ADMIN, "GET", "/runs/" + running).status()).as("admin sees every run").isEqualTo(200);
            assertThat(as(ADMIN, "GET", "/runs/" + done + "/artifacts/out/x.txt").status()).isEqualTo(200);

            TestServer.Response page = as(ADMIN, "GET", "/runs?owner=team-a&limit=1");
            assertThat(page.header("Link")).contains("owner=team-a&limit=1&cursor=");
        } finally {
            assertThat(as(TEAM_A, "POST", "/runs/" + running + "/cancel").status()).isEqualTo(204);
        }
        server.awaitFinished(running);
        assertThat(as(TEAM_A, "DELETE", "/runs/" + running).status()).isEqualTo(204);
        TestServer.assertNoContainersLeftFor(running);
        TestServer.assertNoContainersLeftFor(done);
    }

    @Test
    void aKeyMayPauseStopAndDeleteItsOwnRun() {
        String id = longRun(TEAM_B);
        assertThat(as(TEAM_B, "POST", "/runs/" + id + "/pause").status()).isEqualTo(204);
        assertThat(as(TEAM_B, "POST", "/runs/" + id + "/resume").status()).isEqualTo(204);
        assertThat(as(TEAM_B, "POST", "/runs/" + id + "/stop", Map.of("grace", 0)).status()).isEqualTo(204);
        server.awaitFinished(id);
        assertThat(as(TEAM_B, "DELETE", "/runs/" + id).status()).isEqualTo(204);
        assertThat(as(TEAM_B, "GET", "/runs/" + id).status()).isEqualTo(404);
        TestServer.assertNoContainersLeftFor(id);
    }

    @Test
    void eachRouteNeedsItsScope() {
        assertForbidden(as(READER, "POST", "/run", busybox("echo never")), "run");
        assertForbidden(as(READER, "POST", "/runs/" + UNKNOWN_ID + "/cancel"), "run");
        assertForbidden(as(READER, "DELETE", "/runs/" + UNKNOWN_ID), "run");
        assertForbidden(as(NETWORKER, "GET", "/runs"), "read");
        assertForbidden(as(NETWORKER, "GET", "/runs/" + UNKNOWN_ID + "/artifacts"), "read");
        assertForbidden(as(TEAM_A, "GET", "/networks"), "networks");
        assertForbidden(as(TEAM_A, "POST", "/networks", Map.of("name", "never")), "networks");
        assertForbidden(as(TEAM_A, "GET", "/audit"), "admin");
        assertForbidden(as(NETWORKER, "GET", "/audit"), "admin");

        ObjectNode build = busybox("echo never");
        build.set("run", TestServer.JSON.valueToTree(List.of("echo build step")));
        assertForbidden(as(TEAM_A, "POST", "/run", build), "build");

        assertThat(as(READER, "GET", "/runs").status()).isEqualTo(200);
        assertThat(as(NETWORKER, "GET", "/networks").status()).isEqualTo(200);
        assertThat(as(ADMIN, "GET", "/networks").status()).isEqualTo(200);
        assertThat(as(null, "GET", "/health").status()).isEqualTo(200);
        assertThat(as(null, "GET", "/openapi.json").status()).isEqualTo(200);
        assertThat(as(ADMIN, "GET", "/runs").json()).as("no run was started by a refused request")
                .noneMatch(run -> run.path("owner").asText().equals("reader"));
    }

    @Test
    void everyRegisteredRouteHasAScope() {
        for (String route : server.server.routes()) {
            String method = route.substring(0, route.indexOf(' '));
            assertThat(dev.lightrun.server.auth.RouteScopes.knows(method, route.substring(route.indexOf(' ') + 1)))
                    .as("%s is in RouteScopes' table", route).isTrue();
        }
    }

    @Test
    void failedAuthenticationsAreLimitedPerAddress() throws Exception {
        String wrong = "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer lr_guess";
        for (int i = 1; i <= 10; i++) {
            assertThat(RawHttp.exchangeFrom("127.0.0.3", server.port(), wrong, new byte[0]).status())
                    .as("guess %d", i).isEqualTo(401);
        }
        RawHttp.Answer limited = RawHttp.exchangeFrom("127.0.0.3", server.port(), wrong, new byte[0]);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(TestServer.JSON.readTree(limited.body()).path("error").asText()).isEqualTo("too_many_requests");
        assertThat(Integer.parseInt(limited.headers().get("retry-after"))).isBetween(1, 60);

        String right = "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TEAM_A;
        assertThat(RawHttp.exchangeFrom("127.0.0.3", server.port(), right, new byte[0]).status())
                .as("the right token from the limited address waits too").isEqualTo(429);
        assertThat(RawHttp.exchangeFrom("127.0.0.4", server.port(), right, new byte[0]).status())
                .as("another address is never limited").isEqualTo(200);
        assertThat(as(TEAM_A, "GET", "/runs").status()).isEqualTo(200);
        assertThat(RawHttp.exchangeFrom("127.0.0.3", server.port(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1",
                new byte[0]).status()).as("health needs no key").isEqualTo(200);
    }

    @Test
    void theKeysFileReloadsWhenItChangesAndABrokenOneKeepsTheKeysInForce() throws Exception {
        String newcomer = "lr_newcomer-token-0a";
        try {
            List<ApiKey> more = new ArrayList<>(baseKeys());
            more.add(key("newcomer", newcomer, Scope.READ));
            KeysFile.write(keysFile, more);
            await("the new key works").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> as(newcomer, "GET", "/runs").status() == 200);

            Files.writeString(keysFile, "{\"keys\": [{\"name\": \"broken\"");
            await("a broken file is read (and refused)").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> as(newcomer, "GET", "/runs").status() == 200 && as(TEAM_A, "GET", "/runs").status() == 200);

            KeysFile.write(keysFile, baseKeys());
            await("the removed key stops working").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> as(newcomer, "GET", "/runs").status() == 401);
            assertThat(as(TEAM_A, "GET", "/runs").status()).isEqualTo(200);
            assertThat(as(ADMIN, "GET", "/runs").status()).as("the token's key is not in the file").isEqualTo(200);
        } finally {
            KeysFile.write(keysFile, baseKeys());
        }
    }

    @Test
    void mutatingRequestsAreAuditedWithoutSecrets() throws Exception {
        String envSecret = "env-value-3c1f9e";
        String inputSecret = "input-value-b7d2";
        ObjectNode body = busybox("cat > /dev/null; echo ok");
        body.putObject("env").put("SECRET", envSecret);
        body.putObject("input").put("password", inputSecret);
        body.set("files", TestServer.JSON.createObjectNode().put("secret.txt", "file-content-91ab"));
        String started = java.time.Instant.now().minusSeconds(1).toString();
        TestServer.Response run = as(TEAM_A, "POST", "/run", body);
        assertThat(run.status()).as("%s", run).isEqualTo(200);
        String id = run.json().path("id").asText();
        assertThat(as(TEAM_B, "POST", "/runs/" + id + "/cancel").status()).isEqualTo(404);
        assertThat(as("lr_wrong-token-0000", "DELETE", "/runs/" + id).status()).isEqualTo(401);
        assertThat(as(TEAM_A, "DELETE", "/runs/" + id).status()).isEqualTo(204);
        as(TEAM_A, "GET", "/runs");

        JsonNode entries = as(ADMIN, "GET", "/audit?since=" + started + "&limit=1000").json();
        List<String> lines = new ArrayList<>();
        entries.forEach(entry -> {
            if (id.equals(entry.path("runId").asText())) {
                lines.add(entry.path("key").asText() + " " + entry.path("method").asText() + " "
                        + entry.path("route").asText() + " " + entry.path("status").asInt());
                assertThat(entry.path("address").asText()).isEqualTo("127.0.0.1");
                assertThat(entry.path("time").asText()).isNotBlank();
            }
        });
        assertThat(lines).containsExactly(
                "team-a POST /run 200",
                "team-b POST /runs/{id}/cancel 404",
                "null DELETE /runs/{id} 401",
                "team-a DELETE /runs/{id} 204");
        assertThat(entries).noneMatch(entry -> entry.path("method").asText().equals("GET"));

        String file = Files.readString(root.resolve("artifacts-data").resolve("audit.jsonl"), StandardCharsets.UTF_8);
        for (String secret : List.of(envSecret, inputSecret, "file-content-91ab", TEAM_A, TEAM_B, ADMIN,
                "lr_wrong-token-0000", "SECRET", "password")) {
            assertThat(file).as("audit log holds %s", secret).doesNotContain(secret);
        }
        assertThat(as(ADMIN, "GET", "/audit?since=yesterday").status()).isEqualTo(400);
    }
}
