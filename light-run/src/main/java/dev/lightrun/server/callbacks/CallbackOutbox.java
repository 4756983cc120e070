package dev.lightrun.server.callbacks;

import dev.lightrun.server.store.RunStore.PendingCallback;
import dev.lightrun.server.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Delivers callbacks from the store's outbox. A finished run's callback is recorded in the same transaction as its
 * final state, then sent; network errors, 5xx and 429 are retried with exponential backoff and jitter up to
 * {@code maxAttempts}; a 2xx ends it delivered, another 4xx (or a URL the guard refuses) ends it given up. Every
 * attempt is recorded, so the run shows its delivery state, and what was still pending when the server stopped is
 * sent again at the next start (its attempt count carries on).
 */
public final class CallbackOutbox implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CallbackOutbox.class);

    private final RunStore store;
    private final CallbackSender sender;
    private final CallbackGuard guard;
    private final int maxAttempts;
    private final Duration firstBackoff;
    /** Uniform in [0, 1): where the jitter comes from (a fixed value in tests). */
    private final DoubleSupplier random;
    private final CallbackEvents events;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("callback-retries").factory());

    public CallbackOutbox(RunStore store, CallbackSender sender, CallbackGuard guard, int maxAttempts,
                          Duration firstBackoff) {
        this(store, sender, guard, maxAttempts, firstBackoff, CallbackEvents.NONE);
    }

    /** With a listener told of every attempt's outcome. */
    public CallbackOutbox(RunStore store, CallbackSender sender, CallbackGuard guard, int maxAttempts,
                          Duration firstBackoff, CallbackEvents events) {
        this(store, sender, guard, maxAttempts, firstBackoff, () -> ThreadLocalRandom.current().nextDouble(), events);
    }

    /** With the jitter's random source given, so that tests can pin the backoff. */
    CallbackOutbox(RunStore store, CallbackSender sender, CallbackGuard guard, int maxAttempts, Duration firstBackoff,
                   DoubleSupplier random) {
        this(store, sender, guard, maxAttempts, firstBackoff, random, CallbackEvents.NONE);
    }

    private CallbackOutbox(RunStore store, CallbackSender sender, CallbackGuard guard, int maxAttempts,
                           Duration firstBackoff, DoubleSupplier random, CallbackEvents events) {
        this.events = events;
        this.store = store;
        this.sender = sender;
        this.guard = guard;
        this.maxAttempts = maxAttempts;
        this.firstBackoff = firstBackoff;
        this.random = random;
    }

    /** Sends in the background; never blocks the caller. */
    public void send(PendingCallback callback) {
        events.pending(callback.runId());
        attempt(callback.runId(), callback.url(), callback.secret(), callback.body(), callback.attempts() + 1);
    }

    private void attempt(String runId, String url, String secret, byte[] body, int attempt) {
        Optional<String> refused = guard.problem(url);
        if (refused.isPresent()) {
            log.warn("run {} - callback refused: {}", runId, refused.get());
            record(runId, -1, false, true);
            events.gaveUp(runId, attempt, -1);
            return;
        }
        sender.send(runId, url, secret, body).thenAccept(status -> {
            boolean delivered = status >= 200 && status < 300;
            boolean retryable = status < 0 || status == 429 || status >= 500;
            boolean more = !delivered && retryable && attempt < maxAttempts;
            record(runId, status, delivered, !delivered && !more);
            if (delivered) {
                events.delivered(runId, attempt);
            } else if (more) {
                events.retried(runId, attempt, status);
            } else {
                events.gaveUp(runId, attempt, status);
            }
            if (more) {
                Duration wait = backoff(attempt);
                log.info("run {} - callback attempt {} got {}, retrying in {} ms", runId, attempt,
                        status < 0 ? "no answer" : "HTTP " + status, wait.toMillis());
                try {
                    retries.schedule(() -> attempt(runId, url, secret, body, attempt + 1), wait.toMillis(),
                            TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException stopping) {
                    // The server is stopping: the callback stays pending and is sent after the next start.
                }
            } else if (!delivered) {
                log.warn("run {} - callback given up after {} attempt(s), last {}", runId, attempt,
                        status < 0 ? "no answer" : "HTTP " + status);
            }
        });
    }

    /** {@code first * 2^(attempt-1)}, with +-20% jitter so retries of many runs do not arrive together. */
    Duration backoff(int attempt) {
        long base = firstBackoff.toMillis() << Math.min(attempt - 1, 20);
        double jitter = 0.8 + random.getAsDouble() * 0.4;
        return Duration.ofMillis(Math.max(1, Math.round(base * jitter)));
    }

    private void record(String runId, int status, boolean delivered, boolean gaveUp) {
        try {
            store.callbackAttempted(runId, status, delivered, gaveUp, Instant.now());
        } catch (RuntimeException e) {
            log.warn("run {} - could not record the callback attempt: {}", runId, e.toString());
        }
    }

    /** At start-up: everything still pending, oldest first. */
    public int sendPending() {
        var pending = store.pendingCallbacks();
        pending.forEach(this::send);
        if (!pending.isEmpty()) {
            log.info("callbacks - {} pending from before the restart, sending", pending.size());
        }
        return pending.size();
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
