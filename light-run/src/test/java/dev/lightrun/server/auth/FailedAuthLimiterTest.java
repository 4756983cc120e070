package dev.lightrun.server.auth;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** Failed authentications per address, on a clock the test moves. */
class FailedAuthLimiterTest {
    /** A clock the test sets. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final TestClock clock = new TestClock();
    private final FailedAuthLimiter limiter = new FailedAuthLimiter(clock);

    @Test
    void tenFailuresAreAllowedTheEleventhTryWaitsForTheWindowToEnd() {
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.blockedFor("10.0.0.1")).as("try %d", i + 1).isEmpty();
            limiter.failed("10.0.0.1");
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(limiter.blockedFor("10.0.0.1")).contains(Duration.ofSeconds(50));
        clock.advance(Duration.ofSeconds(49));
        assertThat(limiter.blockedFor("10.0.0.1")).contains(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.blockedFor("10.0.0.1")).as("the window ended").isEmpty();
    }

    @Test
    void anotherAddressIsNeverBlocked() {
        for (int i = 0; i < 50; i++) {
            limiter.failed("10.0.0.1");
        }
        assertThat(limiter.blockedFor("10.0.0.1")).isPresent();
        assertThat(limiter.blockedFor("10.0.0.2")).isEmpty();
        assertThat(limiter.blockedFor("::1")).isEmpty();
    }

    @Test
    void failuresSpreadOverMoreThanAMinuteDoNotBlock() {
        for (int i = 0; i < 30; i++) {
            assertThat(limiter.blockedFor("10.0.0.1")).isEmpty();
            limiter.failed("10.0.0.1");
            clock.advance(Duration.ofSeconds(7));
        }
    }

    @Test
    void memoryIsBounded() {
        FailedAuthLimiter small = new FailedAuthLimiter(clock, 10, Duration.ofMinutes(1), 100);
        for (int i = 0; i < 1000; i++) {
            small.failed("10.0." + (i / 256) + "." + (i % 256));
        }
        assertThat(small.size()).isEqualTo(100);

        clock.advance(Duration.ofMinutes(2));
        small.failed("10.9.9.9");
        assertThat(small.size()).as("expired windows are dropped").isEqualTo(1);
    }
}
