package dev.lightrun.runner;

import java.time.Duration;
import java.util.Objects;

/**
 * What one warm pool looks like now (see {@link Runner#pools()}).
 *
 * @param profile     the pool's profile
 * @param idle        started containers waiting for a run
 * @param refilling   containers being created and started for the pool now
 * @param hits        runs that took a pooled container
 * @param misses      runs that matched the profile but found the pool empty (they started cold)
 * @param failures    refills that failed (the pool retries after a pause)
 * @param lastRefill  how long the last successful refill took (create, attach, start); zero before the first
 * @param state       {@code filling}, {@code ready}, {@code disabled: <why>} or {@code closed}
 */
public record PoolStats(PoolProfile profile, int idle, int refilling, long hits, long misses, long failures,
                        Duration lastRefill, String state) {
    public PoolStats {
        Objects.requireNonNull(profile, "profile was not specified");
        Objects.requireNonNull(lastRefill, "lastRefill was not specified");
        Objects.requireNonNull(state, "state was not specified");
    }
}
