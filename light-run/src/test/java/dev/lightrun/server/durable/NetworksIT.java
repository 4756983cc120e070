package dev.lightrun.server.durable;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.lightrun.server.durable.Api.inline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The networks API: create, list, get, runs on one network reaching each other, delete (409 while used), cleanup by
 * prefix and age, bad names, and Docker networks light-run did not create being out of reach. Every name carries a
 * random prefix: other engineers' networks share the daemon (and cleanup is only ever called with our prefix).
 */
class NetworksIT {
    private static final String PREFIX = "lrt-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Pattern IPV4 = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+)", Pattern.MULTILINE);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path root;
    private static ServerProcess server;

    @BeforeAll
    static void startServer() {
        server = ServerProcess.Setup.in(root).start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server.setup().removeLeftoverContainers();
        }
        // A safety net after a failed test: only names with this class's random prefix.
        for (String name : DockerCli.run("network", "ls", "--format", "{{.Name}}").lines().toList()) {
            if (name.startsWith(PREFIX) || name.startsWith("plain-" + PREFIX)) {
                DockerCli.tryRun("network", "rm", name);
            }
        }
    }

    private static Api api() {
        return server.api();
    }

    private static HttpResponse<String> create(String name, Object... more) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("name", name);
        for (int i = 0; i < more.length; i += 2) {
            body.put((String) more[i], more[i + 1]);
        }
        return api().post("/networks", body);
    }

    private static List<String> listedNames() {
        List<String> names = new ArrayList<>();
        Api.json(api().get("/networks")).forEach(n -> names.add(n.path("name").asText()));
        return names;
    }

    @Test
    void runsOnOneNetworkReachEachOtherAndTheNetworkIsRemovedOnceIdle() {
        String name = PREFIX + "-team";
        HttpResponse<String> created = create(name, "labels", Map.of("team", "a"));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode network = Api.json(created);
        assertThat(network.path("name").asText()).isEqualTo(name);
        assertThat(network.path("labels").path("team").asText()).isEqualTo("a");
        assertThat(network.path("iccEnabled").asBoolean()).isTrue();
        assertThat(network.path("internal").asBoolean()).isFalse();
        assertThat(listedNames()).contains(name);
        assertThat(Api.json(api().get("/networks/" + name)).path("labels").path("team").asText()).isEqualTo("a");
        assertThat(create(name).statusCode()).as("the same name again").isEqualTo(409);

        String server = api().submitDetached(Map.of("image", Api.BUSYBOX,
                "files", Map.of("hello.txt", "hello from A"),
                "entrypoint", "hostname -i; exec httpd -f -p 8080 -h /app",
                "network", name, "timeout", 60_000));
        String ip = await("A's address in its log").atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher matcher = IPV4.matcher(api().logs(server, "stream=stdout"));
            return matcher.find() ? matcher.group(1) : null;
        }, java.util.Objects::nonNull);

        JsonNode client = api().runSync(inline("for i in 1 2 3 4 5; do timeout 3 wget -q -O- http://" + ip
                + ":8080/hello.txt && exit 0; sleep 0.5; done; exit 1", "network", name, "timeout", 30_000));
        assertThat(client.path("status").asText()).as("B reaches A: %s", client).isEqualTo("succeeded");
        assertThat(client.path("logs").path("stdout").asText()).isEqualTo("hello from A");

        HttpResponse<String> busy = api().delete("/networks/" + name);
        assertThat(busy.statusCode()).as("DELETE while A runs: %s", busy.body()).isEqualTo(409);
        assertThat(Api.json(busy).path("error").asText()).isEqualTo("conflict");

        assertThat(api().post("/runs/" + server + "/cancel", "").statusCode()).isEqualTo(204);
        assertThat(api().awaitFinished(server, Duration.ofSeconds(20)).path("status").asText()).isEqualTo("cancelled");
        HttpResponse<String> deleted = api().delete("/networks/" + name);
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
        assertThat(api().get("/networks/" + name).statusCode()).isEqualTo(404);
        assertThat(listedNames()).doesNotContain(name);
        assertThat(DockerCli.exists("network", name)).isFalse();
    }

    @Test
    void cleanupRemovesMatchingIdleNetworksOnly() {
        String idle = PREFIX + "-c-idle";
        String busy = PREFIX + "-c-busy";
        String other = PREFIX + "-other";
        for (String name : List.of(idle, busy, other)) {
            assertThat(create(name).statusCode()).isEqualTo(201);
        }
        String run = api().submitDetached(inline("sleep 30", "network", busy, "timeout", 60_000));
        await("the run joined " + busy).atMost(Duration.ofSeconds(30))
                .until(() -> DockerCli.isRunning(DockerCli.containerOf(run)));

        HttpResponse<String> young = api().post("/networks/cleanup", Map.of("prefix", PREFIX + "-c-", "maxAgeMs", 3_600_000));
        assertThat(young.statusCode()).isEqualTo(200);
        assertThat(Api.json(young).path("removed")).as("nothing an hour old").isEmpty();

        HttpResponse<String> cleaned = api().post("/networks/cleanup", Map.of("prefix", PREFIX + "-c-"));
        assertThat(cleaned.statusCode()).as(cleaned.body()).isEqualTo(200);
        assertThat(Api.json(cleaned).path("removed")).extracting(JsonNode::asText).containsExactly(idle);
        assertThat(api().get("/networks/" + idle).statusCode()).isEqualTo(404);
        assertThat(api().get("/networks/" + busy).statusCode()).as("in use: kept").isEqualTo(200);
        assertThat(api().get("/networks/" + other).statusCode()).as("another prefix: kept").isEqualTo(200);

        assertThat(api().post("/runs/" + run + "/cancel", "").statusCode()).isEqualTo(204);
        api().awaitFinished(run, Duration.ofSeconds(20));
        assertThat(Api.json(api().post("/networks/cleanup", Map.of("prefix", PREFIX + "-c-"))).path("removed"))
                .extracting(JsonNode::asText).containsExactly(busy);
        assertThat(api().delete("/networks/" + other).statusCode()).isEqualTo(204);
    }

    @Test
    void badNamesAndBodiesAre400() {
        for (String name : List.of("bad name!", "-leading-dash", "host", "none", "bridge", "x".repeat(65), "")) {
            HttpResponse<String> response = create(name);
            assertThat(response.statusCode()).as("name '%s': %s", name, response.body()).isEqualTo(400);
            assertThat(Api.json(response).path("error").asText()).isEqualTo("bad_request");
        }
        assertThat(create(PREFIX + "-x", "labels", Map.of("dev.lightrun.kind", "run")).statusCode())
                .as("reserved label").isEqualTo(400);
        assertThat(create(PREFIX + "-x", "driver", "host").statusCode()).as("unknown field").isEqualTo(400);
        assertThat(api().post("/networks/cleanup", Map.of("maxAgeMs", -1)).statusCode()).isEqualTo(400);
        assertThat(DockerCli.exists("network", PREFIX + "-x")).isFalse();
    }

    @Test
    void aDockerNetworkLightRunDidNotCreateIsOutOfReach() {
        String plain = "plain-" + PREFIX;
        DockerCli.run("network", "create", plain);
        try {
            HttpResponse<String> get = api().get("/networks/" + plain);
            assertThat(get.statusCode()).as(get.body()).isEqualTo(404);
            assertThat(listedNames()).doesNotContain(plain);
            HttpResponse<String> delete = api().delete("/networks/" + plain);
            assertThat(delete.statusCode()).as(delete.body()).isEqualTo(404);
            assertThat(Api.json(api().post("/networks/cleanup", Map.of("prefix", plain))).path("removed")).isEmpty();
            assertThat(DockerCli.exists("network", plain)).as("still there").isTrue();
        } finally {
            DockerCli.run("network", "rm", plain);
        }
    }
}
