package dev.lightrun.server.callbacks;

import dev.lightrun.server.CallbackReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One delivery attempt to a receiver on loopback: what it sends (headers, body, signatures checked against an HMAC
 * computed here with javax.crypto) and what status it reports.
 */
class CallbackSenderTest {
    private static final String SECRET = "s3cret-of-at-least-16";
    private static final byte[] BODY = "{\"id\":\"run-1\",\"status\":\"succeeded\"}".getBytes(StandardCharsets.UTF_8);

    private final CallbackSender sender = new CallbackSender(Duration.ofSeconds(5));

    @AfterEach
    void close() {
        sender.close();
    }

    private static String hmac(String secret, byte[] data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(data));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void hmacMatchesTheRfc4231Vector() {
        assertThat(CallbackSender.hmacSha256Hex("Jefe", "what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void signedDeliveryCarriesBothSignaturesOfTheExactBody() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(204)) {
            int status = sender.send("run-1", receiver.url("/hook?token=t"), SECRET, BODY).get(10, TimeUnit.SECONDS);

            assertThat(status).isEqualTo(204);
            CallbackReceiver.Received request = receiver.received().getFirst();
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.pathAndQuery()).isEqualTo("/hook?token=t");
            assertThat(request.body()).isEqualTo(BODY);
            assertThat(request.header("Content-Type")).isEqualTo("application/json");
            assertThat(request.header("User-Agent")).isEqualTo("light-run");
            assertThat(request.header(CallbackSender.DELIVERY_HEADER)).isEqualTo("run-1");
            String timestamp = request.header(CallbackSender.TIMESTAMP_HEADER);
            assertThat(timestamp).matches("[0-9]{10,}");
            assertThat(request.header(CallbackSender.SIGNATURE_HEADER)).isEqualTo("sha256=" + hmac(SECRET, BODY));
            assertThat(request.header(CallbackSender.TIMESTAMPED_SIGNATURE_HEADER)).isEqualTo("sha256="
                    + hmac(SECRET, concat((timestamp + ".").getBytes(StandardCharsets.UTF_8), BODY)));
        }
    }

    @Test
    void unsignedDeliveryHasNoSignatureHeaders() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(200)) {
            sender.send("run-2", receiver.url("/hook"), null, BODY).get(10, TimeUnit.SECONDS);

            CallbackReceiver.Received request = receiver.received().getFirst();
            assertThat(request.header(CallbackSender.SIGNATURE_HEADER)).isNull();
            assertThat(request.header(CallbackSender.TIMESTAMPED_SIGNATURE_HEADER)).isNull();
            assertThat(request.header(CallbackSender.DELIVERY_HEADER)).isEqualTo("run-2");
        }
    }

    @Test
    void reportsTheReceiversStatus() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(503)) {
            assertThat(sender.send("run-3", receiver.url("/"), SECRET, BODY).get(10, TimeUnit.SECONDS)).isEqualTo(503);
        }
    }

    @Test
    void redirectIsReportedNotFollowed() throws Exception {
        try (CallbackReceiver receiver = CallbackReceiver.answering(302)) {
            assertThat(sender.send("run-4", receiver.url("/"), SECRET, BODY).get(10, TimeUnit.SECONDS)).isEqualTo(302);
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void nobodyListeningIsMinusOne() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // The port was free a moment ago and nothing listens on it now: the connection is refused.
        assertThat(sender.send("run-5", "http://127.0.0.1:" + port + "/", SECRET, BODY).get(10, TimeUnit.SECONDS))
                .isEqualTo(-1);
    }
}
