package dev.lightrun.server.callbacks;

import dev.lightrun.server.CallbackReceiver;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunIds;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.RunStore;
import dev.lightrun.server.store.SqliteRunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The outbox's retry schedule (pinned through its jitter source) and its delivery rules against a receiver on
 * loopback, recorded in a real SQLite store.
 */
class CallbackOutboxTest {
    private static final Duration FIRST = Duration.ofSeconds(1);

    @TempDir
    Path dir;
    private SqliteRunStore store;
    private CallbackSender sender;
    private final java.util.List<AutoCloseable> closing = new java.util.ArrayList<>();

    @BeforeEach
    void open() {
        store = new SqliteRunStore(dir);
        sender = new CallbackSender(Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        sender.close();
        store.close();
    }

    private CallbackOutbox outbox(List<String> allow, int maxAttempts, Duration firstBackoff, double random) {
        CallbackOutbox outbox = new CallbackOutbox(store, sender, new CallbackGuard(allow), maxAttempts, firstBackoff,
                () -> random);
        closing.add(outbox);
        return outbox;
    }

    private CallbackOutbox pinned(double random) {
        return outbox(List.of(), 5, FIRST, random);
    }

    @Test
    void backoffDoublesPerAttemptFromTheFirst() {
        CallbackOutbox outbox = pinned(0.5);

        assertThat(List.of(outbox.backoff(1), outbox.backoff(2), outbox.backoff(3), outbox.backoff(4))).containsExactly(
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8));
    }

    @Test
    void jitterAtItsLowestTakesTwentyPercentOff() {
        CallbackOutbox outbox = pinned(0.0);

        assertThat(outbox.backoff(1)).isEqualTo(Duration.ofMillis(800));
        assertThat(outbox.backoff(3)).isEqualTo(Duration.ofMillis(3200));
    }

    @Test
    void jitterAtItsHighestAddsJustUnderTwentyPercent() {
        CallbackOutbox outbox = pinned(Math.nextDown(1.0));

        assertThat(outbox.backoff(1)).isEqualTo(Duration.ofMillis(1200));
        assertThat(outbox.backoff(3)).isEqualTo(Duration.ofMillis(4800));
    }

    @Test
    void backoffStopsGrowingAfterTwentyDoublings() {
        CallbackOutbox outbox = outbox(List.of(), 5, Duration.ofMillis(1), 0.5);

        assertThat(outbox.backoff(21)).isEqualTo(Duration.ofMillis(1 << 20));
        assertThat(outbox.backoff(22)).isEqualTo(Duration.ofMillis(1 << 20));
        assertThat(outbox.backoff(60)).isEqualTo(Duration.ofMillis(1 << 20));
    }

    @Test
    void backoffIsNeverZero() {
        assertThat(outbox(List.of(), 5, Duration.ZERO, 0.0).backoff(1)).isEqualTo(Duration.ofMillis(1));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 8})
    void randomJitterStaysWithinTwentyPercentOfTheBase(int attempt) {
        CallbackOutbox outbox = new CallbackOutbox(store, sender, new CallbackGuard(List.of()), 5, FIRST);
        closing.add(outbox);
        long base = FIRST.toMillis() << (attempt - 1);

        for (int i = 0; i < 200; i++) {
            assertThat(outbox.backoff(attempt).toMillis()).isBetween(Math.round(base * 0.8), Math.round(base * 1.2));
        }
    }

    /** A finished detached run with its callback pending in the outbox, as the run service leaves it. */
    private RunStore.PendingCallback pending(String url) {
        String id = RunIds.next();
        store.create(RunState.running(id, "alpine:3", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofMinutes(1), url, "a-secret-of-16-chars"), null);
        RunState done = new RunState(id, RunStatus.SUCCEEDED, "alpine:3", "admin", true, Instant.now(), Instant.now(),
                Instant.now(), 0, 5L, false, false, List.of(), null, null, null, Map.of(), null);
        store.finish(done, ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        return store.pendingCallbacks().stream().filter(p -> p.runId().equals(id)).findFirst().orElseThrow();
    }

    private RunState.Callback callbackOf(String id) {
        return store.find(id).orElseThrow().callback();
    }

    @Test
    void refusedUrlIsGivenUpAtOnceWithoutConnecting() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(204)) {
            RunStore.PendingCallback callback = pending(receiver.url("/hook"));

            outbox(List.of(), 5, Duration.ofMillis(1), 0.5).send(callback);

            assertThat(callbackOf(callback.runId())).isEqualTo(new RunState.Callback(1, -1, null, true));
            assertThat(receiver.received()).isEmpty();
        }
    }

    @Test
    void twoHundredsEndItDelivered() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(204)) {
            RunStore.PendingCallback callback = pending(receiver.url("/hook"));

            outbox(List.of("127.0.0.1"), 5, Duration.ofMillis(1), 0.5).send(callback);

            await().atMost(Duration.ofSeconds(10)).until(() -> callbackOf(callback.runId()).deliveredAt() != null);
            assertThat(callbackOf(callback.runId()).attempts()).isEqualTo(1);
            assertThat(callbackOf(callback.runId()).lastStatus()).isEqualTo(204);
            assertThat(store.pendingCallbacks()).isEmpty();
            assertThat(receiver.received()).singleElement()
                    .satisfies(r -> assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains(callback.runId()));
        }
    }

    @Test
    void serverErrorIsRetriedUntilDelivered() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(500, 429, 200)) {
            RunStore.PendingCallback callback = pending(receiver.url("/hook"));

            outbox(List.of("127.0.0.1"), 5, Duration.ofMillis(1), 0.5).send(callback);

            await().atMost(Duration.ofSeconds(10)).until(() -> callbackOf(callback.runId()).deliveredAt() != null);
            assertThat(callbackOf(callback.runId()).attempts()).isEqualTo(3);
            assertThat(receiver.received()).hasSize(3);
            assertThat(receiver.received()).extracting(r -> r.header(CallbackSender.DELIVERY_HEADER))
                    .containsOnly(callback.runId());
        }
    }

    @Test
    void clientErrorGivesUpWithoutRetrying() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(404, 204)) {
            RunStore.PendingCallback callback = pending(receiver.url("/hook"));

            outbox(List.of("127.0.0.1"), 5, Duration.ofMillis(1), 0.5).send(callback);

            await().atMost(Duration.ofSeconds(10)).until(() -> callbackOf(callback.runId()).gaveUp());
            assertThat(callbackOf(callback.runId())).isEqualTo(new RunState.Callback(1, 404, null, true));
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void retriesStopAtMaxAttempts() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(503)) {
            RunStore.PendingCallback callback = pending(receiver.url("/hook"));

            outbox(List.of("127.0.0.1"), 3, Duration.ofMillis(1), 0.5).send(callback);

            await().atMost(Duration.ofSeconds(10)).until(() -> callbackOf(callback.runId()).gaveUp());
            assertThat(callbackOf(callback.runId())).isEqualTo(new RunState.Callback(3, 503, null, true));
            assertThat(receiver.received()).hasSize(3);
        }
    }

    @Test
    void sendPendingSendsWhatThePreviousProcessLeft() {
        try (CallbackReceiver receiver = CallbackReceiver.answering(200)) {
            RunStore.PendingCallback first = pending(receiver.url("/a"));
            RunStore.PendingCallback second = pending(receiver.url("/b"));

            int sent = outbox(List.of("127.0.0.1"), 1, Duration.ofMillis(1), 0.5).sendPending();

            assertThat(sent).isEqualTo(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> store.pendingCallbacks().isEmpty());
            assertThat(callbackOf(first.runId()).deliveredAt()).isNotNull();
            assertThat(callbackOf(second.runId()).deliveredAt()).isNotNull();
        }
    }
}
