package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.auth.Tokens;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Quotas of keys from a real keys file, end to end: what a request may ask for (400 / 403 naming the quota), how
 * fast a key may submit (429 with Retry-After), how many of its runs may wait (429), and that one key's burst does not
 * hold another key's run back for more than one slot's time.
 */
class QuotaIT {
    static final String TIGHT = "lr_tight-token-0a1b2c";
    static final String RATED = "lr_rated-token-3d4e5f";
    static final String BURST = "lr_burst-token-6a7b8c";
    static final String OTHER = "lr_other-token-9d0e1f";
    /** The burst of the fairness test comes from a key without limits of its own: fairness is the server's rule. */
    static final String FLOOD = "lr_flood-token-2c3d4e";
    static final Path KEYS = keysFile();

    @RegisterExtension
    static final TestServer server = TestServer.extension(c -> c.keysFile(KEYS).policy(p -> p.maxConcurrent(4)));

    private static Path keysFile() {
        try {
            Path file = Files.createTempDirectory("light-run-quota-it-").resolve("keys.json");
            KeysFile.write(file, List.of(
                    key("tight", TIGHT, new Quota(null, null, null, Duration.ofSeconds(5), 256L, 0.5,
                            List.of("light-run-test/busybox*"))),
                    key("rated", RATED, new Quota(null, null, 2, null, null, null, null)),
                    key("burst", BURST, new Quota(1, 2, null, null, null, null, null)),
                    key("other", OTHER, Quota.UNLIMITED),
                    key("flood", FLOOD, Quota.UNLIMITED)));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ApiKey key(String name, String token, Quota quota) {
        return new ApiKey(name, Tokens.sha256(token), Set.of(Scope.RUN, Scope.READ), quota);
    }

    private static TestServer.Response post(TestServer on, String token, ObjectNode body) {
        return TestServer.send(HttpRequest.newBuilder(on.uri("/run")).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(body))).build());
    }

    private static JsonNode get(TestServer on, String token, String path) {
        return TestServer.send(HttpRequest.newBuilder(on.uri(path)).header("Authorization", "Bearer " + token)
                .build()).json();
    }

    private static void assertQuota(TestServer.Response response, int status, String error, String quota) {
        assertThat(response.status()).as("%s", response).isEqualTo(status);
        assertThat(response.json().path("error").asText()).isEqualTo(error);
        assertThat(response.json().path("quota").asText()).isEqualTo(quota);
        assertThat(response.json().path("message").asText()).isNotBlank();
    }

    private static String detachedSleeper(TestServer on, String token) {
        TestServer.Response accepted = post(on, token, busybox("sleep 30").put("detached", true));
        assertThat(accepted.status()).as("%s", accepted).isEqualTo(202);
        return accepted.json().path("id").asText();
    }

    private static void cancelAll(TestServer on, String token, List<String> ids) {
        for (String id : ids) {
            TestServer.send(HttpRequest.newBuilder(on.uri("/runs/" + id + "/cancel"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build());
        }
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    !get(on, token, "/runs/" + id).path("status").asText().matches("queued|running"));
            TestServer.assertNoContainersLeftFor(id);
        }
    }

    @Test
    void aRequestOverItsKeysLimitsIsRefusedNamingTheQuotaAndStartsNothing() {
        TestServer.Response timeout = post(server, TIGHT, busybox("echo hi").put("timeout", 10_000));
        assertQuota(timeout, 400, "bad_request", "maxTimeoutMs");
        assertThat(timeout.json().path("details").get(0).path("path").asText()).isEqualTo("timeout");

        TestServer.Response memory = post(server, TIGHT, busybox("echo hi").put("memory", 512));
        assertQuota(memory, 400, "bad_request", "maxMemory");
        assertThat(memory.json().path("details").get(0).path("path").asText()).isEqualTo("memory");

        TestServer.Response cpus = post(server, TIGHT, busybox("echo hi").put("cpus", 1.0));
        assertQuota(cpus, 400, "bad_request", "maxCpus");
        assertThat(cpus.json().path("details").get(0).path("path").asText()).isEqualTo("cpus");

        ObjectNode otherImage = busybox("echo hi").put("image", TestServer.PYNODE);
        assertQuota(post(server, TIGHT, otherImage), 403, "image_not_allowed", "allowedImages");

        assertThat(get(server, TIGHT, "/runs")).as("runs recorded for refused requests").isEmpty();

        // Within its limits (and with the server's defaults lowered to them) the same key runs.
        TestServer.Response ok = post(server, TIGHT, busybox("echo within"));
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        assertThat(ok.json().path("logs").path("stdout").asText()).isEqualTo("within\n");
    }

    @Test
    void aKeyOverItsRunsPerMinuteGets429WithRetryAfter() {
        assertThat(post(server, RATED, busybox("echo one")).status()).isEqualTo(200);
        assertThat(post(server, RATED, busybox("echo two")).status()).isEqualTo(200);

        TestServer.Response third = post(server, RATED, busybox("echo three"));
        assertQuota(third, 429, "quota_exceeded", "runsPerMinute");
        assertThat(Long.parseLong(third.header("Retry-After"))).isBetween(1L, 60L);
        assertThat(get(server, RATED, "/runs")).hasSize(2);
        // Another key is not affected by this key's rate.
        assertThat(post(server, OTHER, busybox("echo unaffected")).status()).isEqualTo(200);
    }

    @Test
    void aKeyAtItsConcurrencyQueuesAndPastItsQueueGets429() {
        List<String> ids = new ArrayList<>();
        try {
            ids.add(detachedSleeper(server, BURST));
            ids.add(detachedSleeper(server, BURST));
            ids.add(detachedSleeper(server, BURST));
            // maxConcurrent 1: one runs, the other two wait although the server has free slots.
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    get(server, BURST, "/runs/" + ids.getFirst()).path("status").asText().equals("running"));
            assertThat(get(server, BURST, "/runs/" + ids.get(1)).path("status").asText()).isEqualTo("queued");
            assertThat(get(server, BURST, "/runs/" + ids.get(2)).path("status").asText()).isEqualTo("queued");

            TestServer.Response fourth = post(server, BURST, busybox("sleep 30").put("detached", true));
            assertQuota(fourth, 429, "quota_exceeded", "maxQueued");
            assertThat(fourth.header("Retry-After")).isNotBlank();

            // The free slots still serve another key at once.
            TestServer.Response other = post(server, OTHER, busybox("echo served"));
            assertThat(other.status()).as("%s", other).isEqualTo(200);
            assertThat(other.json().path("status").asText()).isEqualTo("succeeded");
        } finally {
            cancelAll(server, BURST, ids);
        }
    }

    @Test
    void oneKeysBurstDoesNotHoldAnotherKeysRunBackBeyondOneSlot() {
        // One slot for everyone: the burst key queues 5 runs of ~1 s; the other key's run, submitted after them,
        // gets the slot right after the burst run holding it (least recently served key first), not after all five.
        try (TestServer single = TestServer.start(server.artifactsDir.resolveSibling("single-artifacts"),
                c -> c.keysFile(KEYS).policy(p -> p.maxConcurrent(1).maxQueue(20)))) {
            List<String> burst = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                TestServer.Response accepted = post(single, FLOOD, busybox("sleep 1").put("detached", true));
                assertThat(accepted.status()).as("%s", accepted).isEqualTo(202);
                burst.add(accepted.json().path("id").asText());
            }
            TestServer.Response other = post(single, OTHER, busybox("echo mine"));
            assertThat(other.status()).as("%s", other).isEqualTo(200);
            Instant otherStarted = Instant.parse(other.json().path("startedAt").asText());

            for (String id : burst) {
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        get(single, FLOOD, "/runs/" + id).path("status").asText()
                                .equals("succeeded"));
            }
            List<Instant> burstStarts = burst.stream().map(id -> Instant.parse(
                    get(single, FLOOD, "/runs/" + id).path("startedAt").asText())).toList();
            long startedBefore = burstStarts.stream().filter(start -> start.isBefore(otherStarted)).count();
            assertThat(startedBefore).as("burst runs started before the other key's run: the one holding the slot")
                    .isEqualTo(1);
            burst.forEach(TestServer::assertNoContainersLeftFor);
        }
    }

}
