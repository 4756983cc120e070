package dev.lightrun.server.auth;

import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The scope of every route. */
class RouteScopesTest {
    @ParameterizedTest(name = "{0} {1} needs {2}")
    @CsvSource({
            "POST, /run, run",
            "POST, /runs/{id}/cancel, run",
            "POST, /runs/{id}/stop, run",
            "POST, /runs/{id}/pause, run",
            "POST, /runs/{id}/resume, run",
            "DELETE, /runs/{id}, run",
            "GET, /runs, read",
            "GET, /runs/{id}, read",
            "GET, /runs/{id}/logs, read",
            "GET, /runs/{id}/artifacts, read",
            "GET, /runs/{id}/artifacts/<path>, read",
            "HEAD, /runs/{id}/artifacts/<path>, read",
            "POST, /networks, networks",
            "GET, /networks, networks",
            "GET, /networks/{name}, networks",
            "DELETE, /networks/{name}, networks",
            "POST, /networks/cleanup, networks",
            "GET, /audit, admin",
            "PUT, /some/new/route, admin",
    })
    void eachRouteNeedsItsScope(String method, String template, String scope) {
        assertThat(RouteScopes.required(method, template)).contains(Scope.parse(scope));
    }

    @Test
    void healthAndTheOpenApiDocumentNeedNoKey() {
        assertThat(RouteScopes.required("GET", "/health")).isEmpty();
        assertThat(RouteScopes.required("GET", "/openapi.json")).isEmpty();
        assertThat(RouteScopes.isPublic("GET", "/health")).isTrue();
        assertThat(RouteScopes.isPublic("POST", "/health")).isFalse();
        assertThat(RouteScopes.isPublic("GET", "/runs")).isFalse();
    }

    @Test
    void aCallerWithoutTheScopeIsForbiddenNamingIt() {
        Caller reader = new Caller("team-a", Set.of(Scope.READ), Quota.UNLIMITED);
        RouteScopes.check(reader, "GET", "/runs/{id}");

        assertThatThrownBy(() -> RouteScopes.check(reader, "POST", "/runs/{id}/cancel"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(403);
                    assertThat(e.error().code()).isEqualTo("forbidden");
                    assertThat(e.fields()).containsExactly(java.util.Map.entry("scope", "run"));
                    assertThat(e.getMessage()).isEqualTo("POST /runs/{id}/cancel needs a key with scope run");
                });
        Caller admin = new Caller("ops", Set.of(Scope.ADMIN), Quota.UNLIMITED);
        RouteScopes.check(admin, "GET", "/audit");
        RouteScopes.check(admin, "POST", "/networks");
    }

    @Test
    void thePathOfARequestNotYetMatchedMapsToItsTemplate() {
        assertThat(RouteScopes.templateOf("POST", "/runs/abc/cancel")).isEqualTo("/runs/{id}/cancel");
        assertThat(RouteScopes.templateOf("DELETE", "/runs/abc")).isEqualTo("/runs/{id}");
        assertThat(RouteScopes.templateOf("GET", "/runs/abc/artifacts/out/x.txt"))
                .isEqualTo("/runs/{id}/artifacts/<path>");
        assertThat(RouteScopes.templateOf("POST", "/run")).isEqualTo("/run");
        assertThat(RouteScopes.templateOf("POST", "/networks/cleanup")).isEqualTo("/networks/cleanup");
        assertThat(RouteScopes.templateOf("POST", "/runs/abc/explode")).isNull();
        assertThat(RouteScopes.templateOf("POST", "/runs//cancel")).isNull();
        assertThat(RouteScopes.templateOf("GET", "/runs/abc/artifacts/")).isNull();
        assertThat(RouteScopes.templateOf("PUT", "/run")).isNull();
    }
}
