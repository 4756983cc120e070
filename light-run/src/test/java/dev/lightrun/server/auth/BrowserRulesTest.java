package dev.lightrun.server.auth;

import dev.lightrun.server.model.ApiError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The browser rules decided from headers alone: no server, no network. */
class BrowserRulesTest {
    private static final BrowserRules ON_LOOPBACK = new BrowserRules(List.of("http://localhost:5173"),
            List.of("light-run.internal"), true);
    private static final BrowserRules ON_ALL_ADDRESSES = new BrowserRules(List.of(), List.of(), false);

    private static BrowserRequest post(String origin, String host, String contentType) {
        return new BrowserRequest("POST", origin, host, contentType, true, false);
    }

    private static BrowserRequest get(String origin, String host) {
        return new BrowserRequest("GET", origin, host, null, false, false);
    }

    private static BrowserRequest preflight(String origin, String host) {
        return new BrowserRequest("OPTIONS", origin, host, null, false, true);
    }

    private static void assertRefused(Verdict verdict, ApiError error) {
        assertThat(verdict).isInstanceOf(Verdict.Refused.class);
        assertThat(((Verdict.Refused) verdict).error()).isEqualTo(error);
    }

    @Test
    void requestWithoutOriginIsAllowedWithoutCorsWhateverItsContentType() {
        assertThat(ON_LOOPBACK.check(post(null, "127.0.0.1:3000", "application/x-www-form-urlencoded")))
                .isEqualTo(new Verdict.Allowed(null));
        assertThat(ON_LOOPBACK.check(post(null, "127.0.0.1:3000", null))).isEqualTo(new Verdict.Allowed(null));
        assertThat(ON_LOOPBACK.check(post(null, "localhost:3000", "text/plain"))).isEqualTo(new Verdict.Allowed(null));
    }

    @Test
    void crossSiteSimplePostIsRefusedAsOrigin() {
        Verdict verdict = ON_ALL_ADDRESSES.check(post("http://evil.example", "10.0.0.5:3000", "text/plain"));

        assertRefused(verdict, ApiError.ORIGIN_NOT_ALLOWED);
        assertThat(((Verdict.Refused) verdict).message()).contains("http://evil.example", "--allowed-origins",
                "LIGHT_RUN_ALLOWED_ORIGINS");
    }

    @Test
    void rebindingIsRefusedAsHostBeforeItsOriginIsLookedAt() {
        Verdict verdict = ON_LOOPBACK.check(post("http://evil.example:3000", "evil.example:3000", "text/plain"));

        assertRefused(verdict, ApiError.HOST_NOT_ALLOWED);
        assertThat(ApiError.HOST_NOT_ALLOWED.status()).isEqualTo(403);
        assertThat(((Verdict.Refused) verdict).message()).contains("evil.example:3000", "--allowed-hosts");
    }

    @Test
    void allowedOriginIsAllowedWithCors() {
        assertThat(ON_LOOPBACK.check(post("http://localhost:5173", "127.0.0.1:3000", "application/json")))
                .isEqualTo(new Verdict.Allowed("http://localhost:5173"));
        assertThat(ON_LOOPBACK.check(get("http://LOCALHOST:5173", "127.0.0.1:3000")))
                .as("origins compare in lower case").isEqualTo(new Verdict.Allowed("http://LOCALHOST:5173"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://localhost:5174", "https://localhost:5173", "http://localhost", "null",
            "http://localhost:5173/", "http://localhost:5173.evil.example", "file://", ""})
    void unknownOrMalformedOriginIsRefused(String origin) {
        assertRefused(ON_LOOPBACK.check(get(origin, "127.0.0.1:3000")), ApiError.ORIGIN_NOT_ALLOWED);
    }

    @Test
    void ownOriginIsAllowedWhenItsHostIs() {
        assertThat(ON_LOOPBACK.check(get("http://127.0.0.1:3000", "127.0.0.1:3000")))
                .isEqualTo(new Verdict.Allowed("http://127.0.0.1:3000"));
        assertThat(ON_LOOPBACK.check(get("http://localhost:3000", "localhost:3000")))
                .isEqualTo(new Verdict.Allowed("http://localhost:3000"));
        assertThat(ON_LOOPBACK.check(get("http://[::1]:3000", "[::1]:3000")))
                .isEqualTo(new Verdict.Allowed("http://[::1]:3000"));
        assertThat(ON_LOOPBACK.check(get("http://light-run.internal", "light-run.internal:80")))
                .as("the default port is the same origin").isEqualTo(new Verdict.Allowed("http://light-run.internal"));
        assertRefused(ON_LOOPBACK.check(get("http://localhost:3001", "localhost:3000")), ApiError.ORIGIN_NOT_ALLOWED);
        assertRefused(ON_LOOPBACK.check(get("https://localhost:3000", "localhost:3000")),
                ApiError.ORIGIN_NOT_ALLOWED);
    }

    @Test
    void preflightIsAnsweredOnlyForAllowedOrigins() {
        assertThat(ON_LOOPBACK.check(preflight("http://localhost:5173", "127.0.0.1:3000")))
                .isEqualTo(new Verdict.Preflight("http://localhost:5173"));
        assertRefused(ON_LOOPBACK.check(preflight("http://evil.example", "127.0.0.1:3000")),
                ApiError.ORIGIN_NOT_ALLOWED);
        assertRefused(ON_LOOPBACK.check(preflight("http://evil.example:3000", "evil.example:3000")),
                ApiError.HOST_NOT_ALLOWED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:3000", "127.0.0.1", "127.1.2.3:8080", "localhost", "LOCALHOST:3000",
            "[::1]:3000", "[::1]", "[0:0:0:0:0:0:0:1]:3000", "light-run.internal:3000", "LIGHT-RUN.internal"})
    void loopbackAndAllowedHostsPassOnLoopback(String host) {
        assertThat(ON_LOOPBACK.check(get(null, host))).isEqualTo(new Verdict.Allowed(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example:3000", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io:3000",
            "10.0.0.5:3000", "[::2]:3000", "0.0.0.0:3000", "128.0.0.1", "::1", "light-run.internal.evil.example",
            "127.0.0.256"})
    void otherHostsAreRefusedOnLoopback(String host) {
        assertRefused(ON_LOOPBACK.check(get(null, host)), ApiError.HOST_NOT_ALLOWED);
    }

    @Test
    void requestWithoutHostIsNoBrowsersAndPasses() {
        assertThat(ON_LOOPBACK.check(get(null, null))).isEqualTo(new Verdict.Allowed(null));
    }

    @Test
    void nonLoopbackListenAddressIgnoresHostRules() {
        assertThat(ON_ALL_ADDRESSES.check(get(null, "evil.example:3000"))).isEqualTo(new Verdict.Allowed(null));
        assertThat(ON_ALL_ADDRESSES.check(get("http://server.lan:3000", "server.lan:3000")))
                .as("the own origin of whatever name reached it").isEqualTo(new Verdict.Allowed("http://server.lan:3000"));
        assertRefused(ON_ALL_ADDRESSES.check(get("http://evil.example", "server.lan:3000")),
                ApiError.ORIGIN_NOT_ALLOWED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
            "Application/Json;charset=UTF-8", " application/json "})
    void jsonBodyFromAnAllowedOriginPasses(String contentType) {
        assertThat(ON_LOOPBACK.check(post("http://localhost:5173", "127.0.0.1:3000", contentType)))
                .isEqualTo(new Verdict.Allowed("http://localhost:5173"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/jsonp", "application/json-patch+json",
            "application/json, text/plain"})
    void otherBodyTypesFromAnOriginAre415(String contentType) {
        Verdict verdict = ON_LOOPBACK.check(post("http://localhost:5173", "127.0.0.1:3000", contentType));

        assertRefused(verdict, ApiError.UNSUPPORTED_MEDIA_TYPE);
        assertThat(ApiError.UNSUPPORTED_MEDIA_TYPE.status()).isEqualTo(415);
    }

    @Test
    void missingContentTypeWithABodyFromAnOriginIs415ButABodilessPostPasses() {
        assertRefused(ON_LOOPBACK.check(post("http://localhost:5173", "127.0.0.1:3000", null)),
                ApiError.UNSUPPORTED_MEDIA_TYPE);
        assertThat(ON_LOOPBACK.check(new BrowserRequest("POST", "http://localhost:5173", "127.0.0.1:3000", null,
                false, false))).as("cancel from a page: no body, no type").isEqualTo(new Verdict.Allowed(
                "http://localhost:5173"));
    }

    @Test
    void evilOriginIsRefusedAsOriginEvenWithJson() {
        assertRefused(ON_LOOPBACK.check(post("http://evil.example", "127.0.0.1:3000", "application/json")),
                ApiError.ORIGIN_NOT_ALLOWED);
    }

    @Test
    void malformedSettingsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> new BrowserRules(List.of("localhost:5173"), List.of(), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'localhost:5173'");
        assertThatThrownBy(() -> new BrowserRules(List.of("http://x/app"), List.of(), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no path");
        assertThatThrownBy(() -> new BrowserRules(List.of(), List.of("host.example:3000"), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'host.example:3000'");
        assertThatThrownBy(() -> new BrowserRules(List.of(), List.of("http://host.example"), true))
                .isInstanceOf(IllegalArgumentException.class);
        new BrowserRules(List.of("https://app.example:8443"), List.of("[fd00::1]", "fd00::2", "Host.Example"), true);
    }

    @Test
    void corsHeadersEchoTheOriginAndNeverAStarOrCredentials() {
        assertThat(CorsHeaders.response("http://localhost:5173"))
                .containsEntry("Access-Control-Allow-Origin", "http://localhost:5173")
                .doesNotContainKey("Access-Control-Allow-Credentials");
        assertThat(CorsHeaders.preflight("http://localhost:5173"))
                .containsEntry("Access-Control-Allow-Origin", "http://localhost:5173")
                .containsEntry("Access-Control-Max-Age", "600")
                .doesNotContainKey("Access-Control-Allow-Credentials");
        assertThat(CorsHeaders.preflight("http://localhost:5173").get("Access-Control-Allow-Headers"))
                .contains("Authorization", "Content-Type");
        assertThat(CorsHeaders.preflight("http://localhost:5173").get("Access-Control-Allow-Methods"))
                .contains("GET", "POST", "DELETE");
    }
}
