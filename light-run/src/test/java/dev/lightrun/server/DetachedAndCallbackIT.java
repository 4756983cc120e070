package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.config.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Detached runs report their final state to a callback URL, signed when a secret is given, one POST per run. */
class DetachedAndCallbackIT {
    static final String SECRET = "callback-secret-5f1d2e3c4b";

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

    static String hmacSha256Hex(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    /** Waits for exactly one delivery and checks that no second one follows. */
    static CallbackReceiver.Received onlyDelivery(CallbackReceiver receiver) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.received().isEmpty());
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> receiver.received().size() == 1);
        return receiver.received().getFirst();
    }

    @Test
    void signedCallbackCarriesTheFinalState() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            String id = server.runDetached(busybox("echo to-callback; exit 4")
                    .put("callbackUrl", receiver.url("/hooks/light-run?receiver-token=abc"))
                    .put("callbackSecret", SECRET));

            CallbackReceiver.Received delivery = onlyDelivery(receiver);

            assertThat(delivery.method()).isEqualTo("POST");
            assertThat(delivery.pathAndQuery()).isEqualTo("/hooks/light-run?receiver-token=abc");
            assertThat(delivery.header("Content-Type")).startsWith("application/json");
            assertThat(delivery.header("X-Light-Run-Signature"))
                    .isEqualTo("sha256=" + hmacSha256Hex(SECRET, delivery.body()));
            assertThat(delivery.header("X-Light-Run-Signature"))
                    .isNotEqualTo("sha256=" + hmacSha256Hex(SECRET + "x", delivery.body()));
            JsonNode delivered = TestServer.JSON.readTree(delivery.body());
            // The run's state also tells how its callback went; the delivered body is the state it reports on.
            JsonNode state = awaitDeliveryRecorded(id);
            assertThat(state.path("callback").path("attempts").asInt()).isEqualTo(1);
            assertThat(state.path("callback").path("lastStatus").asInt()).isEqualTo(204);
            assertThat(state.path("callback").path("gaveUp").asBoolean()).isFalse();
            assertThat(delivered).isEqualTo(((com.fasterxml.jackson.databind.node.ObjectNode) state.deepCopy())
                    .putNull("callback"));
            assertThat(delivered.path("id").asText()).isEqualTo(id);
            assertThat(delivered.path("status").asText()).isEqualTo("failed");
            assertThat(delivered.path("exitCode").asInt()).isEqualTo(4);
            assertThat(delivered.path("detached").asBoolean()).isTrue();
            assertThat(delivered.path("logs").path("stdout").asText()).isEqualTo("to-callback\n");
            assertThat(delivery.body()).asString(StandardCharsets.UTF_8).doesNotContain(SECRET);
            assertNoContainersLeftFor(id);
        }
    }

    @Test
    void callbackWithoutSecretIsUnsigned() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            String id = server.runDetached(busybox("echo unsigned").put("callbackUrl", receiver.url("/plain")));

            CallbackReceiver.Received delivery = onlyDelivery(receiver);

            assertThat(delivery.headers()).doesNotContainKey("x-light-run-signature");
            JsonNode delivered = TestServer.JSON.readTree(delivery.body());
            assertThat(delivered.path("id").asText()).isEqualTo(id);
            assertThat(delivered.path("status").asText()).isEqualTo("succeeded");
            assertThat(delivered).isEqualTo(((com.fasterxml.jackson.databind.node.ObjectNode) awaitDeliveryRecorded(id)
                    .deepCopy()).putNull("callback"));
        }
    }

    /** The run's state once its callback's delivery has been recorded. */
    private static JsonNode awaitDeliveryRecorded(String id) {
        JsonNode[] state = new JsonNode[1];
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            state[0] = server.get("/runs/" + id).json();
            return !state[0].path("callback").path("deliveredAt").isMissingNode()
                    && !state[0].path("callback").path("deliveredAt").isNull();
        });
        return state[0];
    }

    @Test
    void cancelledRunIsReportedToo() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            String id = server.runDetached(busybox("sleep 60").put("callbackUrl", receiver.url("/cancelled"))
                    .put("callbackSecret", SECRET));
            server.awaitRunning(id);
            assertThat(server.post("/runs/" + id + "/cancel").status()).isEqualTo(204);

            CallbackReceiver.Received delivery = onlyDelivery(receiver);

            JsonNode delivered = TestServer.JSON.readTree(delivery.body());
            assertThat(delivered.path("status").asText()).isEqualTo("cancelled");
            assertThat(delivery.header("X-Light-Run-Signature"))
                    .isEqualTo("sha256=" + hmacSha256Hex(SECRET, delivery.body()));
        }
    }

    @Test
    void hangingReceiverDoesNotDelayOtherRuns(@TempDir Path otherArtifacts) throws Exception {
        // Deliveries may hang for a minute here: if they were serialized, the second one would wait that long.
        try (TestServer patient = TestServer.start(otherArtifacts,
                c -> c.callbacks(cb -> cb.timeout(Duration.ofSeconds(60))));
             CallbackReceiver hanging = CallbackReceiver.hanging();
             CallbackReceiver answering = CallbackReceiver.answering()) {
            String stuck = patient.runDetached(busybox("echo first").put("callbackUrl", hanging.url("/never-answers")));
            await().atMost(Duration.ofSeconds(30)).until(() -> hanging.received().size() == 1);
            assertThat(patient.get("/runs/" + stuck).json().path("status").asText()).isEqualTo("succeeded");

            String next = patient.runDetached(busybox("echo second").put("callbackUrl", answering.url("/next")));
            JsonNode sync = patient.runSync(busybox("echo sync-meanwhile"));
            await().atMost(Duration.ofSeconds(30)).until(() -> answering.received().size() == 1);

            assertThat(sync.path("logs").path("stdout").asText()).isEqualTo("sync-meanwhile\n");
            assertThat(patient.get("/runs/" + next).json().path("status").asText()).isEqualTo("succeeded");
            JsonNode delivered = TestServer.JSON.readTree(answering.received().getFirst().body());
            assertThat(delivered.path("id").asText()).isEqualTo(next);
            assertThat(delivered.path("logs").path("stdout").asText()).isEqualTo("second\n");
            assertThat(hanging.received()).as("the first delivery is still waiting for its answer").hasSize(1);
            assertThat(hanging.answered()).isZero();
        }
    }
}
