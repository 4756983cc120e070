package dev.lightrun.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How callbacks are delivered.
 *
 * @param timeout      limit of one attempt (connect and answer), default 10 s
 * @param maxAttempts  attempts before giving up on network errors, 5xx and 429 (default 8)
 * @param firstBackoff wait before the second attempt; doubles each time, with jitter (default 5 s: 8 attempts span
 *                     about 10 minutes)
 * @param allow        CIDRs or host names a callback may reach although they are internal (loopback, private,
 *                     link-local...); empty by default
 */
public record CallbackSettings(Duration timeout, int maxAttempts, Duration firstBackoff, List<String> allow) {
    public CallbackSettings {
        Objects.requireNonNull(timeout, "timeout was not specified");
        Objects.requireNonNull(firstBackoff, "firstBackoff was not specified");
        allow = List.copyOf(allow);
        if (maxAttempts < 1) {
            throw new ConfigException("callback-max-attempts must be >= 1, was " + maxAttempts);
        }
        if (!timeout.isPositive() || firstBackoff.isNegative()) {
            throw new ConfigException("callback timeout must be positive and backoff >= 0");
        }
    }

    public static CallbackSettings defaults() {
        return new CallbackSettings(Duration.ofSeconds(10), 8, Duration.ofSeconds(5), List.of());
    }

    public CallbackSettings withAllow(List<String> value) {
        return new CallbackSettings(timeout, maxAttempts, firstBackoff, value);
    }

    public CallbackSettings withRetries(int attempts, Duration backoff) {
        return new CallbackSettings(timeout, attempts, backoff, allow);
    }

    public CallbackSettings withTimeout(Duration value) {
        return new CallbackSettings(value, maxAttempts, firstBackoff, allow);
    }
}
