package dev.lightrun.client;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Receives a log follow's JSON lines from the HTTP client and passes them on as {@link LogLine}s, skipping the first
 * {@code delivered} ones (passed on by an earlier follow of the same run). A failure of the parse or of the sink
 * cancels the follow and is kept for {@link #rethrow()}. The flow contract serialises {@code onNext}.
 */
final class LineSink implements Flow.Subscriber<String> {
    private final Consumer<LogLine> sink;
    private final AtomicLong delivered;
    private long seen;
    private Flow.Subscription subscription;
    private volatile RuntimeException failure;

    LineSink(Consumer<LogLine> sink, AtomicLong delivered) {
        this.sink = sink;
        this.delivered = delivered;
    }

    @Override
    public void onSubscribe(Flow.Subscription value) {
        subscription = value;
        // The sink is called synchronously: it paces the reading itself.
        value.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
        if (failure != null || line.isBlank()) {
            return;
        }
        seen++;
        if (seen <= delivered.get()) {
            return;
        }
        try {
            sink.accept(LogLines.parse(line));
            delivered.incrementAndGet();
        } catch (RuntimeException e) {
            failure = e;
            subscription.cancel();
        }
    }

    @Override
    public void onError(Throwable error) {
        // The exchange's future fails with it too: reported there.
    }

    @Override
    public void onComplete() {
    }

    /** Throws what made the follow stop, if it was the parse or the sink. */
    void rethrow() {
        RuntimeException e = failure;
        if (e != null) {
            throw e;
        }
    }
}
