package dev.lightrun.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Loopback names and addresses from their text, and the start-up rule for a server without a token. */
class BrowserRulesLoopbackTest {
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.255.255.254", "localhost", "LocalHost", "::1", "[::1]",
            "0:0:0:0:0:0:0:1", "0000:0000::0001", "::0:1"})
    void loopback(String host) {
        assertThat(Loopback.isLoopback(host)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "0177.0.0.1", "127.0.0.256", "127.0.0",
            "localhost.example", "::2", "1::1", "::1::", "[::1", "example.com", ""})
    void notLoopback(String host) {
        assertThat(Loopback.isLoopback(host)).isFalse();
    }

    @Test
    void hostPartOfAHostHeader() {
        assertThat(Loopback.hostOf("127.0.0.1:3000")).isEqualTo("127.0.0.1");
        assertThat(Loopback.hostOf("Evil.Example:3000")).isEqualTo("evil.example");
        assertThat(Loopback.hostOf("localhost")).isEqualTo("localhost");
        assertThat(Loopback.hostOf("[::1]:3000")).isEqualTo("::1");
        assertThat(Loopback.hostOf("[::1]")).isEqualTo("::1");
        assertThat(Loopback.hostOf("::1")).as("IPv6 needs brackets in Host").isNull();
        assertThat(Loopback.hostOf("[::1]x")).isNull();
        assertThat(Loopback.hostOf(null)).isNull();
    }

    @Test
    void openServerMayStartOnlyOnLoopbackOrWhenSaidInsecure() {
        assertThat(OpenAccessCheck.refusal("127.0.0.1", false, false)).isEmpty();
        assertThat(OpenAccessCheck.refusal("localhost", false, false)).isEmpty();
        assertThat(OpenAccessCheck.refusal("::1", false, false)).isEmpty();
        assertThat(OpenAccessCheck.refusal("0.0.0.0", true, false)).isEmpty();
        assertThat(OpenAccessCheck.refusal("0.0.0.0", false, true)).isEmpty();
        assertThat(OpenAccessCheck.refusal("0.0.0.0", false, false)).get().asString()
                .contains("0.0.0.0", "--insecure-no-auth", "LIGHT_RUN_INSECURE_NO_AUTH");
        assertThat(OpenAccessCheck.warning("0.0.0.0", 3000, false)).get().asString().startsWith("INSECURE");
        assertThat(OpenAccessCheck.warning("127.0.0.1", 3000, true)).isEmpty();
    }
}
