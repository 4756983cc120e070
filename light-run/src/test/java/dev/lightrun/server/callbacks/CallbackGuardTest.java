package dev.lightrun.server.callbacks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SSRF guard on literal addresses only (a literal never goes to DNS), one per address class, plus the operator's
 * allow list.
 */
class CallbackGuardTest {
    private final CallbackGuard guard = new CallbackGuard(List.of());

    @ParameterizedTest(name = "{0} is refused as {1}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1",                 // loopback v4
            "127.8.9.10, 127.8.9.10",               // all of 127/8 is loopback
            "[::1], 0:0:0:0:0:0:0:1",               // loopback v6
            "10.1.2.3, 10.1.2.3",                   // private 10/8
            "172.16.0.1, 172.16.0.1",               // private 172.16/12, first
            "172.31.255.254, 172.31.255.254",       // private 172.16/12, last
            "192.168.1.1, 192.168.1.1",             // private 192.168/16
            "100.64.0.1, 100.64.0.1",               // shared (CGNAT) 100.64/10, first
            "100.127.255.254, 100.127.255.254",     // shared, last
            "169.254.169.254, 169.254.169.254",     // link-local: the cloud metadata endpoint
            "169.254.1.1, 169.254.1.1",             // link-local v4
            "[fe80::1], fe80:0:0:0:0:0:0:1",        // link-local v6
            "224.0.0.1, 224.0.0.1",                 // multicast v4
            "239.255.255.250, 239.255.255.250",     // multicast v4 (SSDP)
            "[ff02::1], ff02:0:0:0:0:0:0:1",        // multicast v6
            "0.0.0.0, 0.0.0.0",                     // unspecified v4
            "[::], 0:0:0:0:0:0:0:0",                // unspecified v6
            "0.1.2.3, 0.1.2.3",                     // 0/8 "this network"
            "240.0.0.1, 240.0.0.1",                 // reserved 240/4
            "255.255.255.255, 255.255.255.255",     // broadcast
            "198.18.0.1, 198.18.0.1",               // benchmarking 198.18/15
            "192.0.0.170, 192.0.0.170",             // IETF protocol assignments 192.0.0/24
            "[fd00:ec2::254], fd00:ec2:0:0:0:0:0:254", // unique local fc00::/7 (AWS metadata over IPv6)
            "[::ffff:10.0.0.1], 10.0.0.1",          // IPv4-mapped IPv6 of a private address
            "[::ffff:169.254.169.254], 169.254.169.254", // IPv4-mapped metadata address
            "[::10.0.0.1], 0:0:0:0:0:0:a00:1",      // IPv4-compatible IPv6 of a private address
            "[64:ff9b::a9fe:a9fe], 64:ff9b:0:0:0:0:a9fe:a9fe", // NAT64 of the metadata address
            "[64:ff9b:1::1], 64:ff9b:1:0:0:0:0:1",  // NAT64 local-use 64:ff9b:1::/48
            "[2002:a00:1::1], 2002:a00:1:0:0:0:0:1", // 6to4 through the private 10.0.0.1
            "[2001:0:4136:e378::1], 2001:0:4136:e378:0:0:0:1", // Teredo
            "[2001:db8::1], 2001:db8:0:0:0:0:0:1",  // documentation 2001:db8::/32
    })
    void internalAddressIsRefusedNamingTheAddress(String host, String address) {
        assertThat(guard.problem("http://" + host + ":8080/hook")).contains("host " + host
                + " resolves to the internal address " + address
                + "; allow it with LIGHT_RUN_CALLBACK_ALLOW if that is intended");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1",
            "100.63.255.255", "192.169.0.1", "[2001:4860:4860::8888]", "[64:ff9b::808:808]", "[2002:808:808::1]"})
    void publicAddressIsAllowed(String host) {
        assertThat(guard.problem("https://" + host + "/hook")).isEmpty();
    }

    @Test
    void allowListCidrLetsItsRangeThroughAndNothingElse() {
        CallbackGuard allowing = new CallbackGuard(List.of("10.20.0.0/16"));

        assertThat(allowing.problem("http://10.20.3.4/hook")).isEmpty();
        assertThat(allowing.problem("http://10.21.0.1/hook")).isPresent();
        assertThat(allowing.problem("http://127.0.0.1/hook")).isPresent();
    }

    @Test
    void allowListCidrWithAPrefixNotOnAByteBoundaryMasksTheRightBits() {
        CallbackGuard allowing = new CallbackGuard(List.of("172.16.0.0/12"));

        assertThat(allowing.problem("http://172.31.0.1/hook")).isEmpty();
        assertThat(allowing.problem("http://192.168.0.1/hook")).isPresent();
    }

    @Test
    void allowListSingleAddressLetsExactlyThatAddressThrough() {
        CallbackGuard allowing = new CallbackGuard(List.of("127.0.0.1", "::1"));

        assertThat(allowing.problem("http://127.0.0.1:9000/hook")).isEmpty();
        assertThat(allowing.problem("http://[::1]:9000/hook")).isEmpty();
        assertThat(allowing.problem("http://127.0.0.2:9000/hook")).isPresent();
    }

    @Test
    void allowListHostNameLetsThatHostThroughWithoutResolvingIt() {
        // A name that does not resolve anywhere: allowed by name, it is never looked up.
        CallbackGuard allowing = new CallbackGuard(List.of("Hooks.Internal.Invalid"));

        assertThat(allowing.problem("http://hooks.internal.invalid/x")).isEmpty();
    }

    @Test
    void urlWithoutAHostIsRefused() {
        assertThat(guard.problem("file:///etc/passwd")).contains("has no host");
    }

    @Test
    void malformedUrlIsRefused() {
        assertThat(guard.problem("http://exa mple.com/")).contains("is not a valid URL");
    }

    @Test
    void aBadAllowListEntryIsRejectedNamingTheSetting() {
        assertThatThrownBy(() -> new CallbackGuard(List.of("10.0.0.0/33")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bad prefix in 10.0.0.0/33");
        assertThatThrownBy(() -> new CallbackGuard(List.of("10.0.0.0/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LIGHT_RUN_CALLBACK_ALLOW: '10.0.0.0/x' is not a CIDR or address");
    }
}
