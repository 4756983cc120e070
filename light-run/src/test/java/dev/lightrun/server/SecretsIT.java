package dev.lightrun.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Env values, the input and the callback secret reach the workload (or sign the callback) but never come back in an
 * answer, a callback body or a log line.
 */
class SecretsIT {
    static final String ENV_SECRET = "ENVSECRET_9c1f7a0d";
    static final String INPUT_SECRET = "INPUTSECRET_4be20d";
    static final String CALLBACK_SECRET = "CBSECRET_71e0a95d3c";
    static final List<String> MARKERS = List.of(ENV_SECRET, INPUT_SECRET, CALLBACK_SECRET);

    @TempDir
    Path artifacts;
    TestServer server;
    ListAppender<ILoggingEvent> logs;
    final List<String> bodies = new ArrayList<>();

    @BeforeEach
    void start() {
        logs = new ListAppender<>();
        logs.start();
        root().addAppender(logs);
        server = TestServer.start(artifacts);
    }

    @AfterEach
    void stop() {
        server.close();
        root().detachAppender(logs);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** A request that hands every secret to the workload, which prints only their hashes. */
    private static ObjectNode withSecrets(ObjectNode body) {
        body.putObject("env").put("API_KEY", ENV_SECRET).put("PLAIN", "visible");
        body.putObject("input").put("password", INPUT_SECRET).put("n", 1);
        return body;
    }

    private TestServer.Response keep(TestServer.Response response) {
        bodies.add(response.text());
        return response;
    }

    @Test
    void secretsNeverComeBackInAnswersCallbacksOrLogs() throws Exception {
        String hashes = "printf %s \"$API_KEY\" | sha256sum; cat | sha256sum; echo \"$PLAIN\"";
        String expectedStdout = sha256(ENV_SECRET) + "  -\n" + sha256("{\"password\":\"" + INPUT_SECRET + "\",\"n\":1}")
                + "  -\nvisible\n";

        TestServer.Response sync = keep(server.submit(withSecrets(busybox(hashes))));
        assertThat(sync.status()).isEqualTo(200);
        assertThat(sync.json().path("logs").path("stdout").asText())
                .as("the workload got the env value and the input").isEqualTo(expectedStdout);

        try (CallbackReceiver receiver = CallbackReceiver.answering()) {
            TestServer.Response accepted = keep(server.submit(withSecrets(busybox(hashes)).put("detached", true)
                    .put("callbackUrl", receiver.url("/hook")).put("callbackSecret", CALLBACK_SECRET)));
            assertThat(accepted.status()).isEqualTo(202);
            String id = accepted.json().path("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received().size() == 1);
            CallbackReceiver.Received delivery = receiver.received().getFirst();
            assertThat(delivery.header("X-Light-Run-Signature")).as("signed with the secret")
                    .isEqualTo("sha256=" + DetachedAndCallbackIT.hmacSha256Hex(CALLBACK_SECRET, delivery.body()));
            bodies.add(new String(delivery.body(), StandardCharsets.UTF_8));
            assertThat(TestServer.JSON.readTree(delivery.body()).path("logs").path("stdout").asText())
                    .isEqualTo(expectedStdout);
            keep(server.get("/runs/" + id));
        }

        TestServer.Response rejected = keep(server.submit(withSecrets(busybox("true"))
                .put("callbackSecret", CALLBACK_SECRET).put("timeout", -1)));
        assertThat(rejected.status()).isEqualTo(400);
        ObjectNode badEnv = withSecrets(busybox("true"));
        ((ObjectNode) badEnv.get("env")).put("BAD-NAME", ENV_SECRET);
        TestServer.Response badName = keep(server.submit(badEnv));
        assertThat(badName.status()).isEqualTo(400);
        assertThat(TestServer.texts(badName.json().path("details"), "path")).contains("env[BAD-NAME]");

        ObjectNode wrongType = withSecrets(busybox("true"));
        ((ObjectNode) wrongType.get("env")).putArray("LIST").add(ENV_SECRET);
        TestServer.Response wrongTypeAnswer = keep(server.submit(wrongType));
        assertThat(wrongTypeAnswer.status()).isEqualTo(400);
        assertThat(TestServer.texts(wrongTypeAnswer.json().path("details"), "path")).contains("env[LIST]");
        TestServer.Response longSecret = keep(server.submit(withSecrets(busybox("true")).put("detached", true)
                .put("callbackUrl", "http://127.0.0.1:9/hook")
                .put("callbackSecret", CALLBACK_SECRET + "x".repeat(200))));
        assertThat(longSecret.status()).isEqualTo(400);
        assertThat(TestServer.texts(longSecret.json().path("details"), "path")).contains("callbackSecret");

        TestServer.Response missingImage = keep(server.submit(withSecrets(busybox("true"))
                .put("image", "light-run-test/does-not-exist")));
        assertThat(missingImage.status()).isEqualTo(200);
        assertThat(missingImage.json().path("errorCode").asText()).isEqualTo("IMAGE_NOT_FOUND");

        TestServer.Response list = keep(server.get("/runs"));
        assertThat(list.json()).hasSize(3);
        for (JsonNode run : list.json()) {
            keep(server.get("/runs/" + run.path("id").asText()));
            TestServer.assertNoContainersLeftFor(run.path("id").asText());
        }

        for (String body : bodies) {
            for (String marker : MARKERS) {
                assertThat(body).as("an answer or callback body").doesNotContain(marker);
            }
        }
        assertThat(logs.list).as("the server logged").isNotEmpty();
        for (ILoggingEvent event : logs.list) {
            String line = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            for (String marker : MARKERS) {
                assertThat(line).as("log line of %s", event.getLoggerName()).doesNotContain(marker);
            }
        }
    }
}
