package dev.lightrun.server.config;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * How callbacks are delivered. Built with {@link #builder()} (or {@link #toBuilder()} from existing settings);
 * validated when built, immutable afterwards.
 *
 * @param timeout      limit of one attempt (connect and answer), default {@link Defaults#CALLBACK_TIMEOUT}
 * @param maxAttempts  attempts before giving up on network errors, 5xx and 429 (default
 *                     {@link Defaults#CALLBACK_MAX_ATTEMPTS})
 * @param firstBackoff wait before the second attempt; doubles each time, with jitter (default
 *                     {@link Defaults#CALLBACK_BACKOFF})
 * @param allow        CIDRs or host names a callback may reach although they are internal (loopback, private,
 *                     link-local...); empty by default
 */
public record CallbackSettings(Duration timeout, int maxAttempts, Duration firstBackoff, List<String> allow) {
    public CallbackSettings {
        Objects.requireNonNull(timeout, "timeout was not specified");
        Objects.requireNonNull(firstBackoff, "firstBackoff was not specified");
        allow = List.copyOf(allow);
        if (!timeout.isPositive()) {
            throw new ConfigException("callbacks.timeout", "must be positive, was " + timeout.toMillis() + " ms");
        }
        if (maxAttempts < 1) {
            throw new ConfigException(Setting.CALLBACK_MAX_ATTEMPTS, "must be >= 1, was " + maxAttempts);
        }
        if (firstBackoff.isNegative()) {
            throw new ConfigException(Setting.CALLBACK_BACKOFF_MS, "must be >= 0, was " + firstBackoff.toMillis());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to build changed ones. */
    public Builder toBuilder() {
        return new Builder().timeout(timeout).maxAttempts(maxAttempts).firstBackoff(firstBackoff).allow(allow);
    }

    /** Named setters starting from the defaults; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private Duration timeout = Defaults.CALLBACK_TIMEOUT;
        private int maxAttempts = Defaults.CALLBACK_MAX_ATTEMPTS;
        private Duration firstBackoff = Defaults.CALLBACK_BACKOFF;
        private List<String> allow = List.of();

        private Builder() {
        }

        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        public Builder maxAttempts(int value) {
            this.maxAttempts = value;
            return this;
        }

        public Builder firstBackoff(Duration value) {
            this.firstBackoff = value;
            return this;
        }

        /** CIDRs or host names; entries are trimmed and blank ones dropped (a trailing comma on the command line). */
        public Builder allow(Collection<String> value) {
            this.allow = Names.cleaned(value);
            return this;
        }

        /** @throws ConfigException naming the first setting with a bad value */
        public CallbackSettings build() {
            return new CallbackSettings(timeout, maxAttempts, firstBackoff, allow);
        }
    }
}
