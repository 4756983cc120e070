package dev.lightrun.server.runs;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The runsPerMinute token bucket on a fake clock: no sleeps. */
class RateLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final RateLimiter limiter = new RateLimiter(now::get);

    private void advance(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    @Test
    void aFullBucketAllowsABurstOfItsCapacityThenRefuses() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("a", 3)).as("run %d", i + 1).isEmpty();
        }

        // 3 per minute: a token every 20 s, and the bucket was just emptied.
        assertThat(limiter.tryAcquire("a", 3)).contains(Duration.ofSeconds(20));
    }

    @Test
    void retryAfterIsTheTimeUntilTheNextTokenRoundedUpToWholeSeconds() {
        // 30 per minute: a token every 2 s.
        for (int i = 0; i < 30; i++) {
            limiter.tryAcquire("a", 30);
        }

        advance(Duration.ofMillis(500));
        assertThat(limiter.tryAcquire("a", 30)).as("1.5 s to go").contains(Duration.ofSeconds(2));
        advance(Duration.ofMillis(1_250));
        assertThat(limiter.tryAcquire("a", 30)).as("250 ms to go").contains(Duration.ofSeconds(1));
        advance(Duration.ofMillis(250));
        assertThat(limiter.tryAcquire("a", 30)).isEmpty();
        assertThat(limiter.tryAcquire("a", 30)).contains(Duration.ofSeconds(2));
    }

    @Test
    void aRefusedAttemptTakesNothing() {
        limiter.tryAcquire("a", 1);
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquire("a", 1)).isPresent();
        }

        advance(Duration.ofSeconds(60));
        assertThat(limiter.tryAcquire("a", 1)).isEmpty();
    }

    @Test
    void theBucketRefillsToItsCapacityAndNoMore() {
        for (int i = 0; i < 2; i++) {
            limiter.tryAcquire("a", 2);
        }

        advance(Duration.ofHours(1));

        assertThat(limiter.tryAcquire("a", 2)).isEmpty();
        assertThat(limiter.tryAcquire("a", 2)).isEmpty();
        assertThat(limiter.tryAcquire("a", 2)).contains(Duration.ofSeconds(30));
    }

    @Test
    void aRefundGivesTheTokenBackUpToTheCapacity() {
        limiter.tryAcquire("a", 1);
        limiter.refund("a", 1);
        limiter.refund("a", 1);

        assertThat(limiter.tryAcquire("a", 1)).isEmpty();
        assertThat(limiter.tryAcquire("a", 1)).isPresent();
    }

    @Test
    void eachTenantHasItsOwnBucket() {
        limiter.tryAcquire("a", 1);

        assertThat(limiter.tryAcquire("a", 1)).isPresent();
        assertThat(limiter.tryAcquire("b", 1)).isEmpty();
    }
}
