package dev.lightrun.server.model;

import java.time.Duration;
import java.util.List;

/**
 * A tenant's limits on top of the server's own. A null field is no limit of the tenant's (the server's still holds).
 *
 * @param maxConcurrent  runs of this tenant holding a slot at once; more wait in the queue (their fair share of it)
 * @param maxQueued      runs of this tenant waiting at once; more are refused (429 quota_exceeded)
 * @param runsPerMinute  submissions per minute, as a token bucket; more are refused (429 with Retry-After)
 * @param maxTimeout     longest timeout a request may ask for (400 naming the quota)
 * @param maxMemoryMib   most memory a request may ask for, in MiB (400)
 * @param maxCpus        most CPUs a request may ask for (400)
 * @param allowedImages  image globs this tenant may run (403); null for any the server allows
 */
public record Quota(Integer maxConcurrent, Integer maxQueued, Integer runsPerMinute, Duration maxTimeout,
                    Long maxMemoryMib, Double maxCpus, List<String> allowedImages) {
    public static final Quota UNLIMITED = new Quota(null, null, null, null, null, null, null);

    public Quota {
        allowedImages = allowedImages == null ? null : List.copyOf(allowedImages);
        requirePositive("maxConcurrent", maxConcurrent);
        requirePositive("maxQueued", maxQueued == null ? null : maxQueued + 1); // 0 queued is a valid limit
        requirePositive("runsPerMinute", runsPerMinute);
        if (maxTimeout != null && (maxTimeout.isNegative() || maxTimeout.isZero())) {
            throw new IllegalArgumentException("maxTimeoutMs must be positive, was " + maxTimeout.toMillis());
        }
        requirePositive("maxMemory", maxMemoryMib == null ? null : maxMemoryMib.intValue());
        if (maxCpus != null && !(maxCpus > 0)) {
            throw new IllegalArgumentException("maxCpus must be positive, was " + maxCpus);
        }
    }

    private static void requirePositive(String name, Integer value) {
        if (value != null && value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
