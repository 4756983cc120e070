package dev.lightrun.client;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Waits for one run to end, within a deadline: follows its log while it runs (the follow ends when the run does, so
 * the end is seen at once), polls with a backoff while it is queued, and reads the final state. With a sink, passes
 * each log line on once, in order, even when it has to follow again. One per wait; not thread-safe.
 */
final class RunWaiter {
    private static final Duration FIRST_POLL = Duration.ofMillis(100);
    private static final Duration MAX_POLL = Duration.ofSeconds(2);

    private final Transport transport;
    private final Function<String, RunState> get;

    RunWaiter(Transport transport, Function<String, RunState> get) {
        this.transport = transport;
        this.get = get;
    }

    RunState waitFor(String id, Duration max, Consumer<LogLine> sink) {
        long deadline = System.nanoTime() + max.toNanos();
        AtomicLong delivered = new AtomicLong();
        Duration pause = FIRST_POLL;
        while (true) {
            RunState state = get.apply(id);
            if (state.isFinished()) {
                if (sink != null) {
                    // It ended while nobody followed: its log is complete, and one follow (which ends at once)
                    // passes on what the sink has not had yet.
                    followToEnd(id, remaining(deadline), sink, delivered);
                }
                return state;
            }
            Duration left = remaining(deadline);
            if (left.isZero()) {
                throw new LightRunException(LightRunException.TIMEOUT, "run " + id + " has not ended within "
                        + Transport.human(max) + " (it is " + state.status().json() + ")", null);
            }
            if (state.status() == RunStatus.RUNNING && followToEnd(id, left, sink, delivered)) {
                // The follow ends once the final state is stored: usually this read finds it ended.
                state = get.apply(id);
                if (state.isFinished()) {
                    return state;
                }
            }
            sleep(min(pause, remaining(deadline)), id);
            pause = min(pause.multipliedBy(2), MAX_POLL);
        }
    }

    /**
     * Follows the run's log until it ends or {@code left} passes, passing lines past the first {@code delivered} ones
     * to {@code sink} (null: only waits); whether it ended by itself.
     */
    private boolean followToEnd(String id, Duration left, Consumer<LogLine> sink, AtomicLong delivered) {
        if (left.isZero()) {
            return false;
        }
        HttpRequest request = transport.request(LightRunClient.logsPath(id, true), left).GET().build();
        LineSink lines = sink == null ? null : new LineSink(sink, delivered);
        CompletableFuture<HttpResponse<Void>> follow = transport.http().sendAsync(request, info ->
                info.statusCode() == 200 && lines != null ? HttpResponse.BodySubscribers.fromLineSubscriber(lines)
                        : HttpResponse.BodySubscribers.discarding());
        try {
            HttpResponse<Void> response = follow.get(left.toNanos(), TimeUnit.NANOSECONDS);
            if (lines != null) {
                lines.rethrow();
            }
            // A fast end (e.g. no log yet) says nothing: the caller reads the run again, then pauses.
            return response.statusCode() == 200;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            if (lines != null) {
                lines.rethrow();
            }
            if (e.getCause() instanceof HttpTimeoutException) {
                return false;
            }
            if (e.getCause() instanceof IOException io) {
                throw transport.unreachable(request, io);
            }
            throw new LightRunException(LightRunException.UNREACHABLE, "following the log of run " + id
                    + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Transport.interrupted(request, e);
        } finally {
            // Since JDK 16 cancelling the future aborts the exchange: no follow stays open behind us.
            follow.cancel(true);
        }
    }

    private static Duration remaining(long deadline) {
        long left = deadline - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void sleep(Duration pause, String id) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LightRunException(LightRunException.INTERRUPTED, "interrupted while waiting for run " + id, e);
        }
    }
}
