package dev.lightrun.server.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DashboardTest {
    @Test
    void onlyTheDashboardAndItsRedirectAreOpenPaths() {
        assertThat(Dashboard.isDashboard("/")).isTrue();
        assertThat(Dashboard.isDashboard("/ui")).isTrue();
        assertThat(Dashboard.isDashboard("/ui/")).isTrue();
        assertThat(Dashboard.isDashboard("/ui/js/app.js")).isTrue();
        assertThat(Dashboard.isDashboard("/uix")).isFalse();
        assertThat(Dashboard.isDashboard("/runs")).isFalse();
        assertThat(Dashboard.isDashboard("/openapi.json")).isFalse();
    }

    @Test
    void contentSecurityPolicyAllowsNothingInlineAndNothingElsewhere() {
        assertThat(Dashboard.CONTENT_SECURITY_POLICY)
                .doesNotContain("unsafe").doesNotContain("*").doesNotContain("http")
                .contains("default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                        "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'");
        assertThat(Dashboard.HEADERS).containsEntry("X-Content-Type-Options", "nosniff");
    }
}
