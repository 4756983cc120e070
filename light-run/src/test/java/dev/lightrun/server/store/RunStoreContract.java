package dev.lightrun.server.store;

import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link RunStore} does alike, on a real database: rows, pages, the queue, the outbox, rows of other
 * versions. {@link SqliteRunStoreTest} runs it on SQLite in a temporary folder, {@link PostgresRunStoreIT} on
 * PostgreSQL in a schema of its own.
 */
abstract class RunStoreContract {
    protected RunStore store;

    /** A store on this test's database: empty on the first call, the same data on the next (a restart). */
    protected abstract RunStore openStore();

    /**
     * Replaces a run's stored state and plan behind the store's back, as another version of light-run wrote them.
     *
     * @return the rows changed
     */
    protected abstract int overwriteRow(String id, String stateJson, String planJson) throws Exception;

    @BeforeEach
    void open() {
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    static RunState finished(String id) {
        return new RunState(id, RunStatus.FAILED, "img", "admin", true, Instant.parse("2026-12-01T10:00:00Z"),
                Instant.parse("2026-12-01T10:00:01Z"), Instant.parse("2026-12-01T10:00:02Z"), 3, 1000L, false, false,
                List.of(new RunState.Artifact("out/a.txt", 5, "file")), "container exited with code 3",
                RunErrorCode.NONZERO_EXIT, new RunState.Logs("o", "e", false, true), Map.of("start", 150L), null);
    }

    @Test
    void aFinishedRunReadsBackFieldForField() {
        RunState running = RunState.running("00000000-0000-7000-8000-000000000001", "img", "admin", true, Instant.now());
        store.create(running, new RunPlan(List.of("/app/out"), Duration.ofSeconds(30), null, null), null);
        RunState done = finished(running.id());
        store.finish(done, null);

        assertThat(store.find(running.id())).contains(done);
        assertThat(store.plan(running.id()).orElseThrow().extract()).containsExactly("/app/out");
        assertThat(store.running()).isEmpty();
    }

    @Test
    void finishingWithACallbackBodyQueuesItInTheSameWrite() {
        String id = "00000000-0000-7000-8000-000000000002";
        store.create(RunState.running(id, "img", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(30), "https://hooks.example/x", "a-secret-of-16-chars"), null);
        store.finish(finished(id), "{\"id\":1}".getBytes(StandardCharsets.UTF_8));

        assertThat(store.pendingCallbacks()).singleElement().satisfies(pending -> {
            assertThat(pending.runId()).isEqualTo(id);
            assertThat(pending.url()).isEqualTo("https://hooks.example/x");
            assertThat(pending.secret()).isEqualTo("a-secret-of-16-chars");
            assertThat(pending.toString()).doesNotContain("a-secret-of-16-chars");
        });
        store.callbackAttempted(id, 200, true, false, Instant.now());
        assertThat(store.pendingCallbacks()).isEmpty();
        assertThat(store.find(id).orElseThrow().callback().deliveredAt()).isNotNull();
    }

    @Test
    void pagesRunNewestFirstWithACursor() {
        for (int i = 1; i <= 5; i++) {
            String id = "00000000-0000-7000-8000-00000000001" + i;
            store.create(RunState.running(id, "img", "admin", false, Instant.now()),
                    new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        }
        RunStore.Page first = store.page(null, null, 2, null);
        assertThat(first.runs()).extracting(RunState::id)
                .containsExactly("00000000-0000-7000-8000-000000000015", "00000000-0000-7000-8000-000000000014");
        RunStore.Page second = store.page(null, null, 2, first.next());
        assertThat(second.runs()).extracting(RunState::id)
                .containsExactly("00000000-0000-7000-8000-000000000013", "00000000-0000-7000-8000-000000000012");
        assertThat(store.page(RunStatus.SUCCEEDED, null, 10, null).runs()).isEmpty();
    }

    @Test
    void pagesOfOneOwnerHoldOnlyItsRuns() {
        for (int i = 1; i <= 6; i++) {
            String id = "00000000-0000-7000-8000-00000000005" + i;
            store.create(RunState.running(id, "img", i % 2 == 0 ? "team-a" : "team-b", false, Instant.now()),
                    new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        }

        RunStore.Page first = store.page(null, "team-a", 2, null);
        assertThat(first.runs()).extracting(RunState::id)
                .containsExactly("00000000-0000-7000-8000-000000000056", "00000000-0000-7000-8000-000000000054");
        assertThat(store.page(null, "team-a", 2, first.next()).runs()).extracting(RunState::id)
                .containsExactly("00000000-0000-7000-8000-000000000052");
        assertThat(store.page(RunStatus.RUNNING, "team-b", 10, null).runs()).extracting(RunState::owner)
                .containsOnly("team-b").hasSize(3);
        assertThat(store.page(null, "nobody", 10, null).runs()).isEmpty();
        assertThat(store.page(null, null, 10, null).runs()).hasSize(6);
    }

    @Test
    void aQueuedRunKeepsItsRequestUntilItStarts() {
        String id = "00000000-0000-7000-8000-000000000021";
        RunState queued = RunState.queued(id, "img", "admin", false, Instant.now());
        store.create(queued, new RunPlan(List.of(), Duration.ofSeconds(1), null, null), "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(store.queued()).singleElement().satisfies(q -> assertThat(q.request()).asString().isEqualTo("{}"));

        store.started(queued.startedNow());
        assertThat(store.queued()).isEmpty();
        assertThat(store.running()).extracting(RunState::id).containsExactly(id);
    }

    @Test
    void aRowWrittenByAnotherVersionStillReadsBack() throws Exception {
        String id = "00000000-0000-7000-8000-000000000031";
        store.create(RunState.running(id, "img", "admin", false, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        // As an older version wrote it: no timings, no callback, no artifacts; plus a field a newer version added, and
        // an error code this version does not know.
        String row = """
                {"id":"%s","status":"failed","image":"img","detached":false,"queuedAt":"2026-12-01T10:00:00Z",
                 "startedAt":"2026-12-01T10:00:01Z","finishedAt":"2026-12-01T10:00:02Z","exitCode":1,"durationMs":1000,
                 "timedOut":false,"error":"gone","errorCode":"SOMETHING_NEWER","owner":"team-a","priority":7,
                 "logs":{"stdout":"x","stderr":"","stdoutTruncated":false,"stderrTruncated":false,"encoding":"utf-8"}}
                """.formatted(id);
        String plan = "{\"extract\":[\"/app/out\"],\"timeout\":\"PT30S\",\"retries\":3}";
        assertThat(overwriteRow(id, row, plan)).isEqualTo(1);

        RunState read = store.find(id).orElseThrow();
        assertThat(read.status()).isEqualTo(RunStatus.FAILED);
        assertThat(read.exitCode()).isEqualTo(1);
        assertThat(read.oomKilled()).isFalse();
        assertThat(read.artifacts()).isEmpty();
        assertThat(read.timings()).isEmpty();
        assertThat(read.errorCode()).isNull();
        assertThat(read.logs().stdout()).isEqualTo("x");
        assertThat(store.plan(id).orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aRunSurvivesReopeningTheStore() {
        String id = "00000000-0000-7000-8000-000000000041";
        store.create(RunState.running(id, "img", "admin", false, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        store.finish(finished(id), null);
        store.close();
        store = openStore();
        assertThat(store.find(id)).contains(finished(id));
        assertThat(store.delete(id)).isTrue();
        assertThat(store.find(id)).isEmpty();
        assertThat(store.delete(id)).isFalse();
    }

    @Test
    void outputWithANulCharacterReadsBack() {
        // A program may print U+0000; PostgreSQL's jsonb would refuse it, which is why states are stored as text.
        String id = "00000000-0000-7000-8000-000000000051";
        store.create(RunState.running(id, "img", "admin", false, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(1), null, null), null);
        RunState done = finished(id);
        RunState withNul = new RunState(id, done.status(), done.image(), done.owner(), done.detached(), done.queuedAt(),
                done.startedAt(), done.finishedAt(), done.exitCode(), done.durationMs(), done.timedOut(),
                done.oomKilled(), done.artifacts(), done.error(), done.errorCode(),
                new RunState.Logs("a\0b ünï €", "", false, false), done.timings(), null);
        store.finish(withNul, null);
        assertThat(store.find(id)).contains(withNul);
    }

    @Test
    void finishingAgainWithACallbackStartsAFreshOutboxRow() {
        String id = "00000000-0000-7000-8000-000000000061";
        store.create(RunState.running(id, "img", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(30), "https://hooks.example/x", "a-secret-of-16-chars"), null);
        store.finish(finished(id), "first".getBytes(StandardCharsets.UTF_8));
        store.callbackAttempted(id, 500, false, false, Instant.now());
        assertThat(store.find(id).orElseThrow().callback().attempts()).isEqualTo(1);

        store.finish(finished(id), "second".getBytes(StandardCharsets.UTF_8));

        assertThat(store.pendingCallbacks()).singleElement().satisfies(pending -> {
            assertThat(pending.body()).asString().isEqualTo("second");
            assertThat(pending.attempts()).isZero();
        });
        RunState.Callback callback = store.find(id).orElseThrow().callback();
        assertThat(callback.attempts()).isZero();
        assertThat(callback.lastStatus()).isNull();
    }

    @Test
    void aCallbackGivenUpIsNoLongerPendingAndSaysSo() {
        String id = "00000000-0000-7000-8000-000000000071";
        store.create(RunState.running(id, "img", "admin", true, Instant.now()),
                new RunPlan(List.of(), Duration.ofSeconds(30), "https://hooks.example/x", "a-secret-of-16-chars"), null);
        store.finish(finished(id), "{}".getBytes(StandardCharsets.UTF_8));
        store.callbackAttempted(id, 404, false, true, Instant.now());

        assertThat(store.pendingCallbacks()).isEmpty();
        RunState.Callback callback = store.find(id).orElseThrow().callback();
        assertThat(callback.attempts()).isEqualTo(1);
        assertThat(callback.lastStatus()).isEqualTo(404);
        assertThat(callback.deliveredAt()).isNull();
        assertThat(callback.gaveUp()).isTrue();
    }

    @Test
    void deletingARunDropsItsPendingCallbackAndLaterUpdatesAreNoOps() {
        String id = "00000000-0000-7000-8000-000000000081";
        RunState running = RunState.running(id, "img", "admin", true, Instant.now());
        store.create(running, new RunPlan(List.of(), Duration.ofSeconds(30), "https://hooks.example/x",
                "a-secret-of-16-chars"), null);
        store.finish(finished(id), "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(store.delete(id)).isTrue();

        assertThat(store.pendingCallbacks()).isEmpty();
        store.update(running);
        assertThat(store.find(id)).isEmpty();
        assertThat(store.plan(id)).isEmpty();
    }

    @Test
    void queuedAndRunningListsAreOldestFirst() {
        List<String> ids = List.of("00000000-0000-7000-8000-000000000093", "00000000-0000-7000-8000-000000000091",
                "00000000-0000-7000-8000-000000000092");
        for (String id : ids) {
            store.create(RunState.queued(id, "img", "admin", false, Instant.now()),
                    new RunPlan(List.of(), Duration.ofSeconds(1), null, null), id.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(store.queued()).extracting(q -> q.state().id()).containsExactly(
                "00000000-0000-7000-8000-000000000091", "00000000-0000-7000-8000-000000000092",
                "00000000-0000-7000-8000-000000000093");
        store.started(store.find(ids.get(0)).orElseThrow().startedNow());
        store.started(store.find(ids.get(1)).orElseThrow().startedNow());
        assertThat(store.running()).extracting(RunState::id).containsExactly(
                "00000000-0000-7000-8000-000000000091", "00000000-0000-7000-8000-000000000093");
        assertThat(store.page(RunStatus.QUEUED, null, 10, null).runs()).extracting(RunState::id)
                .containsExactly("00000000-0000-7000-8000-000000000092");
    }
}
