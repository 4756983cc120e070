package dev.lightrun.server.auth;

import dev.lightrun.server.model.Caller;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Looking up a token by its digest. */
class KeyRingTest {
    private final KeyRing ring = new KeyRing(List.of(
            new ApiKey("team-a", Tokens.sha256("lr_a"), Set.of(Scope.RUN, Scope.READ), new Quota(2, null, null, null,
                    null, null, null)),
            new ApiKey("team-b", Tokens.sha256("lr_b"), Set.of(Scope.READ), Quota.UNLIMITED)));

    @Test
    void findsTheCallerOfEachKeysToken() {
        Caller a = ring.find("lr_a").orElseThrow();
        assertThat(a.name()).isEqualTo("team-a");
        assertThat(a.scopes()).containsExactlyInAnyOrder(Scope.RUN, Scope.READ);
        assertThat(a.quota().maxConcurrent()).isEqualTo(2);
        assertThat(ring.find("lr_b").orElseThrow().name()).isEqualTo("team-b");
    }

    @Test
    void anyOtherTokenIsNoOne() {
        for (String wrong : List.of("", "lr_", "lr_a ", "LR_A", "lr_ab", "lr_b\n", Tokens.hex(Tokens.sha256("lr_a")))) {
            assertThat(ring.find(wrong)).as("'%s'", wrong).isEmpty();
        }
        assertThat(new KeyRing(List.of()).find("lr_a")).isEmpty();
    }

    @Test
    void newTokensAreLongRandomAndPrefixed() {
        String one = Tokens.newToken();
        String two = Tokens.newToken();
        assertThat(one).startsWith("lr_").hasSize(3 + 43).matches("lr_[A-Za-z0-9_-]{43}");
        assertThat(one).isNotEqualTo(two);
        assertThat(ring.toString()).isEqualTo("KeyRing[[team-a, team-b]]");
    }
}
