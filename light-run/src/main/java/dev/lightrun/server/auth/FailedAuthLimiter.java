package dev.lightrun.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Limits failed authentications per source address: after {@code maxFailures} failures within one window (which
 * starts at an address's first failure), every request from that address is refused until the window ends, even one
 * with a right token (a guesser must not learn which guess was right). Other addresses are never affected.
 *
 * <p>Memory is bounded: at most {@code maxAddresses} addresses are remembered; expired windows are dropped first, then
 * the oldest. (Someone with that many addresses can make the limiter forget an address early; the 256-bit tokens are
 * what makes guessing hopeless, the limit only keeps a guesser from burning CPU and logs.) Thread-safe.
 */
public final class FailedAuthLimiter {
    public static final int MAX_FAILURES = 10;
    public static final Duration WINDOW = Duration.ofMinutes(1);
    public static final int MAX_ADDRESSES = 10_000;

    private final Clock clock;
    private final int maxFailures;
    private final Duration window;
    private final int maxAddresses;
    private final ReentrantLock lock = new ReentrantLock();
    /** Address -> its window, in the order windows started (re-inserted when one starts again). */
    private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();

    private static final class Window {
        final Instant start;
        int failures;

        Window(Instant start) {
            this.start = start;
        }
    }

    public FailedAuthLimiter(Clock clock) {
        this(clock, MAX_FAILURES, WINDOW, MAX_ADDRESSES);
    }

    public FailedAuthLimiter(Clock clock, int maxFailures, Duration window, int maxAddresses) {
        this.clock = clock;
        this.maxFailures = maxFailures;
        this.window = window;
        this.maxAddresses = maxAddresses;
    }

    /** How long {@code address} must still wait; empty when it may try to authenticate. */
    public Optional<Duration> blockedFor(String address) {
        Instant now = clock.instant();
        lock.lock();
        try {
            Window current = windows.get(address);
            if (current == null || current.failures < maxFailures) {
                return Optional.empty();
            }
            Instant end = current.start.plus(window);
            if (!now.isBefore(end)) {
                windows.remove(address);
                return Optional.empty();
            }
            return Optional.of(Duration.between(now, end));
        } finally {
            lock.unlock();
        }
    }

    /** Counts one failed authentication from {@code address}. */
    public void failed(String address) {
        Instant now = clock.instant();
        lock.lock();
        try {
            Window current = windows.get(address);
            if (current == null || !now.isBefore(current.start.plus(window))) {
                windows.remove(address);
                current = new Window(now);
                windows.put(address, current);
                evict(now);
            }
            current.failures++;
        } finally {
            lock.unlock();
        }
    }

    /** Addresses remembered (for tests and the bound). */
    public int size() {
        lock.lock();
        try {
            return windows.size();
        } finally {
            lock.unlock();
        }
    }

    private void evict(Instant now) {
        for (Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
            if (now.isBefore(it.next().getValue().start.plus(window))) {
                break; // in start order: the rest are younger
            }
            it.remove();
        }
        while (windows.size() > maxAddresses) {
            Iterator<String> oldest = windows.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
    }
}
