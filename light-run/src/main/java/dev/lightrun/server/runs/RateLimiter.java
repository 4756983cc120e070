package dev.lightrun.server.runs;

import dev.lightrun.server.model.ApiError;
import dev.lightrun.server.model.ApiException;
import dev.lightrun.server.model.Caller;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The {@code runsPerMinute} quota: one token bucket per tenant, holding at most {@code runsPerMinute} tokens (a tenant
 * idle for a minute may submit that many at once) and refilled continuously at {@code runsPerMinute} per 60 s. A
 * submission takes a token with {@link #tryAcquire}; a submission refused later (queue full, store failure) gives it
 * back with {@link #refund}, so only accepted runs count. Time comes from an injected nano clock (tests advance a fake
 * one). One bucket per owner ever seen: owners are the keys' names, a short list. Thread-safe.
 */
final class RateLimiter {
    private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

    /** A tenant's bucket: its tokens (fractional while refilling) as of {@code updated}. */
    private static final class Bucket {
        double tokens;
        long updated;
    }

    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Bucket> buckets = new HashMap<>();

    /** @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime}) */
    /**
     * Takes a token for {@code caller} when its quota has a {@code runsPerMinute}; refuses with 429
     * {@code quota_exceeded} ({@code "quota": "runsPerMinute"}, Retry-After until the next token) when none is left.
     */
    void acquire(Caller caller) {
        Integer perMinute = caller.quota().runsPerMinute();
        if (perMinute == null) {
            return;
        }
        tryAcquire(caller.name(), perMinute).ifPresent(wait -> {
            throw new ApiException(ApiError.QUOTA_EXCEEDED, "'" + caller.name() + "' may submit " + perMinute
                    + " run(s) per minute, its runsPerMinute quota; the next is allowed in " + wait.toSeconds()
                    + " s").withField("quota", "runsPerMinute").withRetryAfter(wait);
        });
    }

    /** Gives back the token {@link #acquire} took, for a submission refused after it. */
    void refund(Caller caller) {
        Integer perMinute = caller.quota().runsPerMinute();
        if (perMinute != null) {
            refund(caller.name(), perMinute);
        }
    }

    RateLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Takes one of {@code owner}'s tokens. Returns empty when it did; otherwise (nothing taken) how long until the next
     * token, in whole seconds and at least one (what {@code Retry-After} says).
     *
     * @param perMinute the owner's {@code runsPerMinute}, > 0; also the bucket's capacity
     */
    Optional<Duration> tryAcquire(String owner, int perMinute) {
        lock.lock();
        try {
            Bucket bucket = refilled(owner, perMinute);
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return Optional.empty();
            }
            double nanosToNextToken = (1 - bucket.tokens) * MINUTE_NANOS / perMinute;
            long seconds = (long) Math.ceil(nanosToNextToken / 1_000_000_000d);
            return Optional.of(Duration.ofSeconds(Math.max(1, seconds)));
        } finally {
            lock.unlock();
        }
    }

    /** Gives back a token {@link #tryAcquire} took for a submission that was refused after all. */
    void refund(String owner, int perMinute) {
        lock.lock();
        try {
            Bucket bucket = refilled(owner, perMinute);
            bucket.tokens = Math.min(perMinute, bucket.tokens + 1);
        } finally {
            lock.unlock();
        }
    }

    /** The owner's bucket brought up to now (a new one starts full); a lowered quota caps what it holds. */
    private Bucket refilled(String owner, int perMinute) {
        long now = nanoTime.getAsLong();
        Bucket bucket = buckets.get(owner);
        if (bucket == null) {
            bucket = new Bucket();
            bucket.tokens = perMinute;
            bucket.updated = now;
            buckets.put(owner, bucket);
            return bucket;
        }
        double earned = (double) (now - bucket.updated) * perMinute / MINUTE_NANOS;
        bucket.tokens = Math.min(perMinute, bucket.tokens + earned);
        bucket.updated = now;
        return bucket;
    }
}
