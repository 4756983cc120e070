package dev.lightrun.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.CallbackReceiver;
import dev.lightrun.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Callback delivery as a receiver sees it: retries with growing waits on 5xx, 429 and network errors, none after a
 * 2xx or another 4xx, a stable delivery id and two verifiable signatures on every attempt, the outcome in the run's
 * state; the SSRF guard; and a receiver that never answers does not hold up anyone else's callback.
 */
class CallbackDeliveryIT {
    static final String SECRET = "policy-callback-secret-0b7e";
    static final int MAX_ATTEMPTS = 5;

    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        // 5 attempts, 100 ms before the second (then 200, 400, 800, +-20%); an attempt may wait a minute for its
        // answer, so a hanging receiver really hangs.
        server = TestServer.start(artifacts, c -> c.callbacks(cb -> cb
                .maxAttempts(MAX_ATTEMPTS).firstBackoff(Duration.ofMillis(100)).timeout(Duration.ofSeconds(60))));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String hmacHex(String secret, byte[] data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(data));
    }

    /** Waits for {@code count} requests, then checks that no more follow for a while; returns them. */
    static List<CallbackReceiver.Received> exactly(CallbackReceiver receiver, int count) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> receiver.received().size() >= count);
        // The longest retry wait with these settings is 800 ms +20%: 2.5 s without a request means no more come.
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> receiver.received().size() == count);
        return receiver.received();
    }

    /** The run's state once its callback has reached an end (delivered or given up). */
    static JsonNode awaitCallbackSettled(TestServer on, String id) {
        JsonNode[] state = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            state[0] = on.get("/runs/" + id).json();
            JsonNode callback = state[0].path("callback");
            return callback.path("gaveUp").asBoolean() || callback.path("deliveredAt").isTextual();
        });
        return state[0];
    }

    /** Checks the headers every attempt carries; returns the attempt's body. */
    static byte[] assertSignedDelivery(CallbackReceiver.Received attempt, String id) throws Exception {
        assertThat(attempt.method()).isEqualTo("POST");
        assertThat(attempt.header("X-Light-Run-Delivery")).as("delivery id").isEqualTo(id);
        String timestamp = attempt.header("X-Light-Run-Timestamp");
        assertThat(timestamp).as("timestamp").matches("[0-9]+");
        assertThat(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp))).as("timestamp age (s)")
                .isLessThan(300);
        byte[] body = attempt.body();
        assertThat(attempt.header("X-Light-Run-Signature")).isEqualTo("sha256=" + hmacHex(SECRET, body));
        byte[] signed = (timestamp + "." + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        assertThat(attempt.header("X-Light-Run-Signature-Timestamped")).isEqualTo("sha256=" + hmacHex(SECRET, signed));
        assertThat(attempt.header("X-Light-Run-Signature")).as("a wrong secret does not verify")
                .isNotEqualTo("sha256=" + hmacHex(SECRET + "x", body));
        return body;
    }

    @Test
    void twoFailuresThenSuccessAreThreeSignedAttemptsOfOneDelivery() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(500, 500, 200)) {
            String id = server.runDetached(busybox("echo retried").put("callbackUrl", receiver.url("/hook?t=1"))
                    .put("callbackSecret", SECRET));

            List<CallbackReceiver.Received> attempts = exactly(receiver, 3);
            JsonNode state = awaitCallbackSettled(server, id);

            List<byte[]> bodies = new ArrayList<>();
            for (CallbackReceiver.Received attempt : attempts) {
                assertThat(attempt.pathAndQuery()).isEqualTo("/hook?t=1");
                bodies.add(assertSignedDelivery(attempt, id));
            }
            assertThat(bodies.get(1)).as("the same body every time").isEqualTo(bodies.get(0));
            assertThat(bodies.get(2)).isEqualTo(bodies.get(0));
            JsonNode delivered = TestServer.JSON.readTree(bodies.get(0));
            assertThat(delivered.path("id").asText()).isEqualTo(id);
            assertThat(delivered.path("status").asText()).isEqualTo("succeeded");
            assertThat(delivered.path("logs").path("stdout").asText()).isEqualTo("retried\n");
            assertThat(Duration.between(attempts.get(0).receivedAt(), attempts.get(1).receivedAt()))
                    .as("wait before the second attempt (100 ms -20%)").isGreaterThanOrEqualTo(Duration.ofMillis(80));
            assertThat(Duration.between(attempts.get(1).receivedAt(), attempts.get(2).receivedAt()))
                    .as("wait before the third attempt (200 ms -20%)").isGreaterThanOrEqualTo(Duration.ofMillis(160));
            JsonNode callback = state.path("callback");
            assertThat(callback.path("attempts").asInt()).as("callback %s", callback).isEqualTo(3);
            assertThat(callback.path("lastStatus").asInt()).isEqualTo(200);
            assertThat(callback.path("deliveredAt").isTextual()).isTrue();
            assertThat(Instant.parse(callback.path("deliveredAt").asText()))
                    .isAfterOrEqualTo(attempts.get(2).receivedAt().minusSeconds(1));
            assertThat(callback.path("gaveUp").asBoolean()).isFalse();
            assertNoContainersLeftFor(id);
        }
    }

    @Test
    void aClientErrorStopsTheRetriesAtOnce() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(400)) {
            String id = server.runDetached(busybox("echo refused-by-receiver").put("callbackUrl", receiver.url("/bad"))
                    .put("callbackSecret", SECRET));

            List<CallbackReceiver.Received> attempts = exactly(receiver, 1);
            JsonNode callback = awaitCallbackSettled(server, id).path("callback");

            assertSignedDelivery(attempts.getFirst(), id);
            assertThat(callback.path("attempts").asInt()).as("callback %s", callback).isEqualTo(1);
            assertThat(callback.path("lastStatus").asInt()).isEqualTo(400);
            assertThat(callback.path("gaveUp").asBoolean()).isTrue();
            assertThat(callback.path("deliveredAt").isNull()).isTrue();
            assertNoContainersLeftFor(id);
        }
    }

    @Test
    void tooManyRequestsIsRetriedAndPersistentFailuresGiveUpAfterTheLastAttempt() throws Exception {
        try (CallbackReceiver busy = CallbackReceiver.answering(429, 204);
             CallbackReceiver broken = CallbackReceiver.answering(503)) {
            String throttled = server.runDetached(busybox("true").put("callbackUrl", busy.url("/busy")));
            String failing = server.runDetached(busybox("true").put("callbackUrl", broken.url("/broken"))
                    .put("callbackSecret", SECRET));

            assertThat(exactly(busy, 2)).extracting(a -> a.header("X-Light-Run-Delivery")).containsOnly(throttled);
            List<CallbackReceiver.Received> attempts = exactly(broken, MAX_ATTEMPTS);
            for (CallbackReceiver.Received attempt : attempts) {
                assertSignedDelivery(attempt, failing);
            }

            JsonNode delivered = awaitCallbackSettled(server, throttled).path("callback");
            assertThat(delivered.path("attempts").asInt()).as("callback %s", delivered).isEqualTo(2);
            assertThat(delivered.path("lastStatus").asInt()).isEqualTo(204);
            assertThat(delivered.path("gaveUp").asBoolean()).isFalse();
            JsonNode gaveUp = awaitCallbackSettled(server, failing).path("callback");
            assertThat(gaveUp.path("attempts").asInt()).as("callback %s", gaveUp).isEqualTo(MAX_ATTEMPTS);
            assertThat(gaveUp.path("lastStatus").asInt()).isEqualTo(503);
            assertThat(gaveUp.path("gaveUp").asBoolean()).isTrue();
            assertThat(gaveUp.path("deliveredAt").isNull()).isTrue();
            assertNoContainersLeftFor(throttled);
            assertNoContainersLeftFor(failing);
        }
    }

    @Test
    void aReceiverThatIsNotListeningIsRetriedUntilTheLastAttempt() {
        String url;
        try (CallbackReceiver gone = CallbackReceiver.answering()) {
            url = gone.url("/gone");
        }
        String id = server.runDetached(busybox("true").put("callbackUrl", url));

        JsonNode callback = awaitCallbackSettled(server, id).path("callback");

        assertThat(callback.path("attempts").asInt()).as("callback %s", callback).isEqualTo(MAX_ATTEMPTS);
        assertThat(callback.path("lastStatus").asInt()).as("no answer").isEqualTo(-1);
        assertThat(callback.path("gaveUp").asBoolean()).isTrue();
        assertNoContainersLeftFor(id);
    }

    @Test
    void internalCallbackAddressesAreRefusedUnlessAllowed(@TempDir Path guardedArtifacts) {
        try (CallbackReceiver receiver = CallbackReceiver.answering();
             TestServer guarded = TestServer.start(guardedArtifacts,
                     c -> c.callbacks(cb -> cb.allow(List.of())))) {
            for (String url : List.of(receiver.url("/hook"), receiver.url("/hook").replace("127.0.0.1", "localhost"),
                    "http://[::1]:9/hook", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/hook",
                    "http://192.168.0.10/hook", "http://172.16.0.1/hook", "http://100.64.0.1/hook",
                    "http://0.0.0.0:9/hook")) {
                TestServer.Response response = guarded.submit(busybox("echo never").put("detached", true)
                        .put("callbackUrl", url));
                assertThat(response.status()).as("answer for %s: %s", url, response).isEqualTo(400);
                assertThat(texts(response.json().path("details"), "path")).as("details for %s", url)
                        .containsExactly("callbackUrl");
                assertThat(response.json().path("details").get(0).path("message").asText())
                        .contains("LIGHT_RUN_CALLBACK_ALLOW");
            }
            assertThat(guarded.get("/runs").json()).as("runs recorded by refused requests").isEmpty();
            assertThat(receiver.received()).isEmpty();

            // The same receiver is fine where loopback is allowed (this class's server).
            String id = server.runDetached(busybox("echo allowed").put("callbackUrl", receiver.url("/hook")));
            assertThat(exactly(receiver, 1).getFirst().header("X-Light-Run-Delivery")).isEqualTo(id);
            JsonNode callback = awaitCallbackSettled(server, id).path("callback");
            assertThat(callback.path("lastStatus").asInt()).isEqualTo(204);
            assertThat(callback.path("attempts").asInt()).isEqualTo(1);
            assertNoContainersLeftFor(id);
        }
    }

    @Test
    void receiversThatHangDoNotDelayOtherRunsCallbacks() {
        // Each hanging attempt waits up to a minute for its answer; if deliveries were serialized (or shared a small
        // pool), the answering receiver below would wait that long.
        try (CallbackReceiver hanging = CallbackReceiver.hanging();
             CallbackReceiver answering = CallbackReceiver.answering()) {
            List<String> stuck = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                stuck.add(server.runDetached(busybox("echo stuck-" + i).put("callbackUrl", hanging.url("/never"))));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> hanging.received().size() == 3);

            String next = server.runDetached(busybox("echo next").put("callbackUrl", answering.url("/next")));
            List<CallbackReceiver.Received> delivered = exactly(answering, 1);

            assertThat(delivered.getFirst().header("X-Light-Run-Delivery")).isEqualTo(next);
            assertThat(awaitCallbackSettled(server, next).path("callback").path("lastStatus").asInt()).isEqualTo(204);
            assertThat(hanging.answered()).as("the hanging receiver has answered nothing yet").isZero();
            assertThat(hanging.received()).extracting(r -> r.header("X-Light-Run-Delivery"))
                    .containsExactlyInAnyOrderElementsOf(stuck);
            for (String id : stuck) {
                assertThat(server.get("/runs/" + id).json().path("status").asText()).isEqualTo("succeeded");
                assertNoContainersLeftFor(id);
            }
            assertNoContainersLeftFor(next);
        }
    }
}
