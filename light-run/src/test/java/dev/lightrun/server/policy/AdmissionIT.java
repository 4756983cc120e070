package dev.lightrun.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.lightrun.server.TestServer.assertNoContainersLeftFor;
import static dev.lightrun.server.TestServer.busybox;
import static dev.lightrun.server.TestServer.containersOf;
import static dev.lightrun.server.TestServer.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Admission: at most two runs at once, three more wait in a FIFO queue, a sixth is refused with 429. What a client
 * sees: {@code queued} with {@code queuedAt} and no {@code startedAt}, runs starting in the order they queued, a
 * cancelled queued run that never gets a container, a timeout that only counts from the start, and a sync request
 * that waits in the queue and answers with its final state. Plus: queued runs survive a graceful restart.
 */
class AdmissionIT {
    @TempDir
    static Path artifacts;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(artifacts, c -> c.policy(p -> p.maxConcurrent(2).maxQueue(3)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Every test leaves the server idle, so the next one finds both slots free and the queue empty. */
    @AfterEach
    void drained() {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                server.get("/runs?status=running").json().isEmpty() && server.get("/runs?status=queued").json().isEmpty());
    }

    static Instant instant(JsonNode state, String field) {
        assertThat(state.path(field).isTextual()).as("%s of %s", field, state).isTrue();
        return Instant.parse(state.path(field).asText());
    }

    static JsonNode state(TestServer on, String id) {
        TestServer.Response response = on.get("/runs/" + id);
        assertThat(response.status()).as("GET /runs/%s: %s", id, response).isEqualTo(200);
        return response.json();
    }

    static void assertQueued(TestServer on, String id) {
        assertQueuedState(state(on, id));
        assertThat(containersOf(id)).as("containers of queued run %s", id).isEmpty();
    }

    static void assertQueuedState(JsonNode state) {
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("queued");
        assertThat(state.path("queuedAt").isTextual()).as("queuedAt of %s", state).isTrue();
        assertThat(state.path("startedAt").isNull()).as("startedAt of a queued run: %s", state).isTrue();
        assertThat(state.path("finishedAt").isNull()).as("finishedAt of a queued run: %s", state).isTrue();
    }

    static void assertSucceeded(JsonNode state) {
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("succeeded");
        assertThat(state.path("exitCode").asInt()).isZero();
        assertThat(state.path("timedOut").asBoolean()).isFalse();
        assertNoContainersLeftFor(state.path("id").asText());
    }

    /** Polls until every run in {@code ids} has ended; meanwhile never more than {@code cap} runs are running. */
    static List<JsonNode> awaitAllFinished(TestServer on, List<String> ids, int cap) {
        AtomicInteger mostRunning = new AtomicInteger();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode running = on.get("/runs?status=running").json();
            mostRunning.accumulateAndGet(running.size(), Math::max);
            assertThat(running.size()).as("runs running at once: %s", texts(running, "id")).isLessThanOrEqualTo(cap);
            return ids.stream().allMatch(id -> {
                String status = state(on, id).path("status").asText();
                return !status.equals("queued") && !status.equals("running");
            });
        });
        assertThat(mostRunning.get()).as("most runs seen running at once").isBetween(1, cap);
        return ids.stream().map(id -> state(on, id)).toList();
    }

    @Test
    void twoRunAtOnceThreeWaitInOrderAndTheSixthIsRefused() {
        // The two running runs end at different times, so the slots free one after the other: a FIFO queue hands the
        // first to the first queued run, the second to the second, and the third slot to free to the third.
        int recordedBefore = server.get("/runs?limit=1000").json().size();
        String first = server.runDetached(busybox("sleep 3; echo r1"));
        String second = server.runDetached(busybox("sleep 5; echo r2"));
        List<String> queued = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            queued.add(server.runQueued(busybox("sleep 3; echo q" + i)));
        }

        TestServer.Response refused = server.submit(busybox("echo sixth").put("detached", true));
        TestServer.Response refusedSync = server.submit(busybox("echo sixth, sync"));

        for (TestServer.Response response : List.of(refused, refusedSync)) {
            assertThat(response.status()).as("answer %s", response).isEqualTo(429);
            assertThat(response.json().path("error").asText()).isEqualTo("queue_full");
            assertThat(response.json().has("id")).as("a refused request has no run").isFalse();
            assertThat(response.header("Retry-After")).as("Retry-After of %s", response).isNotNull();
            assertThat(Integer.parseInt(response.header("Retry-After"))).isPositive();
        }
        List<JsonNode> whileQueued = queued.stream().map(id -> state(server, id)).toList();
        whileQueued.forEach(AdmissionIT::assertQueuedState);
        List<Instant> queuedAt = whileQueued.stream().map(s -> instant(s, "queuedAt")).toList();
        assertThat(queuedAt).as("queuedAt in submission order").isSorted();
        assertThat(texts(server.get("/runs?status=queued").json(), "id"))
                .as("GET /runs?status=queued, newest first").containsExactlyElementsOf(queued.reversed());
        assertThat(server.get("/runs?limit=1000").json()).as("runs recorded (the refused ones are not)")
                .hasSize(recordedBefore + 5);
        // The last two wait at least for r2 (the longer): still no container of theirs (docker ps is slow here).
        assertThat(containersOf(queued.get(1))).isEmpty();
        assertThat(containersOf(queued.get(2))).isEmpty();

        List<String> all = new ArrayList<>(List.of(first, second));
        all.addAll(queued);
        List<JsonNode> done = awaitAllFinished(server, all, 2);

        done.forEach(AdmissionIT::assertSucceeded);
        assertThat(done.get(2).path("logs").path("stdout").asText()).isEqualTo("q1\n");
        assertThat(done.get(4).path("logs").path("stdout").asText()).isEqualTo("q3\n");
        List<Instant> startedAt = done.subList(2, 5).stream().map(s -> instant(s, "startedAt")).toList();
        assertThat(startedAt).as("queued runs start in the order they queued").isSortedAccordingTo(Instant::compareTo);
        List<Instant> finishedAt = done.stream().map(s -> instant(s, "finishedAt")).toList();
        for (int i = 0; i < 3; i++) {
            Instant start = startedAt.get(i);
            assertThat(finishedAt.stream().filter(f -> !f.isAfter(start)).count())
                    .as("runs finished when q%d started (each start needs a freed slot)", i + 1)
                    .isGreaterThanOrEqualTo(i + 1);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(instant(done.get(2 + i), "queuedAt")).as("queuedAt kept once started").isEqualTo(queuedAt.get(i));
        }
    }

    @Test
    void aCancelledQueuedRunNeverStarts() {
        String first = server.runDetached(busybox("sleep 2"));
        String second = server.runDetached(busybox("sleep 2"));
        String before = server.runQueued(busybox("echo before"));
        String cancelled = server.runQueued(busybox("echo must-never-run; touch /app/ran"));
        String after = server.runQueued(busybox("echo after"));

        TestServer.Response cancel = server.post("/runs/" + cancelled + "/cancel");

        assertThat(cancel.status()).as("cancel answer %s", cancel).isEqualTo(204);
        JsonNode state = state(server, cancelled);
        assertThat(state.path("status").asText()).as("state %s", state).isEqualTo("cancelled");
        assertThat(state.path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(state.path("startedAt").isNull()).as("startedAt of %s", state).isTrue();
        assertThat(state.path("finishedAt").isTextual()).isTrue();
        assertThat(state.path("exitCode").isNull()).isTrue();
        assertThat(server.post("/runs/" + cancelled + "/cancel").status()).as("cancelling it again").isEqualTo(404);
        assertThat(containersOf(cancelled)).isEmpty();

        // Its place in the queue is gone: the others run; it gets no container while they do.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(containersOf(cancelled)).as("containers of the cancelled run").isEmpty();
            return List.of(first, second, before, after).stream()
                    .allMatch(id -> state(server, id).path("status").asText().equals("succeeded"));
        });
        JsonNode ranAfter = server.runSync(busybox("echo slot-free"));

        assertSucceeded(ranAfter);
        for (String id : List.of(first, second, before, after)) {
            assertSucceeded(state(server, id));
        }
        assertThat(state(server, after).path("logs").path("stdout").asText()).isEqualTo("after\n");
        JsonNode stillCancelled = state(server, cancelled);
        assertThat(stillCancelled.path("status").asText()).isEqualTo("cancelled");
        assertThat(stillCancelled.path("startedAt").isNull()).isTrue();
        assertThat(stillCancelled.path("logs").path("stdout").asText()).isEmpty();
        assertThat(server.get("/runs/" + cancelled + "/artifacts").json()).isEmpty();
        assertThat(Files.exists(artifacts.resolve(cancelled))).as("artifact folder of the cancelled run").isFalse();
        assertNoContainersLeftFor(cancelled);
    }

    @Test
    void timeInTheQueueDoesNotCountAgainstTheTimeout() {
        // Its timeout (4 s) is shorter than its wait for a slot (5 s and more), and long enough for "sleep 1" even on
        // a loaded machine.
        String first = server.runDetached(busybox("sleep 5"));
        String second = server.runDetached(busybox("sleep 5"));
        String patient = server.runQueued(busybox("sleep 1; echo in-time").put("timeout", 4000));

        JsonNode done = server.awaitFinished(patient, Duration.ofSeconds(90));

        assertThat(done.path("status").asText()).as("state %s", done).isEqualTo("succeeded");
        assertThat(done.path("timedOut").asBoolean()).isFalse();
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("in-time\n");
        assertThat(Duration.between(instant(done, "queuedAt"), instant(done, "startedAt")))
                .as("time it waited in the queue").isGreaterThan(Duration.ofMillis(4000));
        assertThat(Duration.between(instant(done, "queuedAt"), instant(done, "finishedAt")))
                .as("queued + running, longer than the timeout").isGreaterThan(Duration.ofMillis(5000));
        for (String id : List.of(first, second, patient)) {
            assertSucceeded(server.awaitFinished(id, Duration.ofSeconds(90)));
        }
    }

    @Test
    void aQueuedSyncRequestAnswersWithTheFinalStateWhenItsRunEnds() {
        String first = server.runDetached(busybox("sleep 2"));
        String second = server.runDetached(busybox("sleep 2"));
        ObjectNode body = busybox("cat marker.txt; echo; echo from-the-queue");

        CompletableFuture<TestServer.Response> answer = CompletableFuture.supplyAsync(() -> server.submit(body));
        String[] queuedId = new String[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonNode queued = server.get("/runs?status=queued").json();
            if (queued.size() == 1) {
                queuedId[0] = queued.get(0).path("id").asText();
            }
            return queuedId[0] != null;
        });
        JsonNode whileQueued = state(server, queuedId[0]);
        TestServer.Response response = answer.join();

        assertThat(whileQueued.path("detached").asBoolean()).isFalse();
        assertThat(response.status()).as("sync answer %s", response).isEqualTo(200);
        JsonNode done = response.json();
        assertThat(done.path("id").asText()).isEqualTo(queuedId[0]);
        assertSucceeded(done);
        assertThat(done.path("logs").path("stdout").asText()).isEqualTo("light-run test\nfrom-the-queue\n");
        assertThat(done).as("the answer is the stored final state").isEqualTo(state(server, queuedId[0]));
        Instant firstFreeSlot = List.of(first, second).stream()
                .map(id -> instant(server.awaitFinished(id), "finishedAt")).min(Instant::compareTo).orElseThrow();
        assertThat(instant(done, "startedAt")).as("it started when a slot was free").isAfterOrEqualTo(firstFreeSlot)
                .isAfter(instant(done, "queuedAt"));
        assertSucceeded(state(server, first));
        assertSucceeded(state(server, second));
    }

    @Test
    void queuedRunsSurviveARestartAndStartInOrder(@TempDir Path ownArtifacts) {
        String running;
        String firstQueued;
        String secondQueued;
        JsonNode firstBefore;
        JsonNode secondBefore;
        try (TestServer before = TestServer.start(ownArtifacts, c -> c.policy(p -> p.maxConcurrent(1).maxQueue(5)))) {
            running = before.runDetached(busybox("echo started; sleep 3; echo kept-running"));
            // Closed once the running run's container is visibly running (it printed), so it is re-attached.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> before.get("/runs/" + running + "/logs?stream=stdout").text().contains("started"));
            // The stored request carries everything: files, entrypoint, env and the stdin input.
            ObjectNode one = busybox("printf '%s ' \"$GREETING\"; cat; echo; cat marker.txt").put("timeout", 30000);
            one.putObject("env").put("GREETING", "hello from before the restart");
            one.putObject("input").put("order", 1);
            firstQueued = before.runQueued(one);
            secondQueued = before.runQueued(busybox("echo second"));
            firstBefore = state(before, firstQueued);
            secondBefore = state(before, secondQueued);
            assertQueued(before, firstQueued);
            assertQueued(before, secondQueued);
        }

        try (TestServer after = TestServer.start(ownArtifacts, c -> c.policy(p -> p.maxConcurrent(1).maxQueue(5)))) {
            List<JsonNode> done = awaitAllFinished(after, List.of(running, firstQueued, secondQueued), 1);

            done.forEach(AdmissionIT::assertSucceeded);
            assertThat(done.get(0).path("logs").path("stdout").asText()).isEqualTo("started\nkept-running\n");
            assertThat(done.get(1).path("logs").path("stdout").asText())
                    .isEqualTo("hello from before the restart {\"order\":1}\nlight-run test");
            assertThat(done.get(2).path("logs").path("stdout").asText()).isEqualTo("second\n");
            assertThat(done.get(1).path("queuedAt")).as("queuedAt kept across the restart")
                    .isEqualTo(firstBefore.path("queuedAt"));
            assertThat(done.get(2).path("queuedAt")).isEqualTo(secondBefore.path("queuedAt"));
            assertThat(instant(done.get(1), "startedAt")).as("the first queued starts after the running one ended")
                    .isAfterOrEqualTo(instant(done.get(0), "finishedAt"));
            assertThat(instant(done.get(2), "startedAt")).as("then the second, after the first")
                    .isAfterOrEqualTo(instant(done.get(1), "finishedAt"));
        }
    }

    /**
     * A server closed right after accepting a detached run usually stops while the run's container is created but not
     * yet started. The next server must not report such a run as succeeded: it either ran (and printed) or it failed.
     */
    @Test
    void aRunInterruptedBeforeItsContainerStartedIsNotReportedSucceeded(@TempDir Path ownArtifacts) {
        String id;
        try (TestServer before = TestServer.start(ownArtifacts)) {
            id = before.runDetached(busybox("echo ran"));
        }

        try (TestServer after = TestServer.start(ownArtifacts)) {
            JsonNode done = after.awaitFinished(id, Duration.ofSeconds(90));

            if (done.path("status").asText().equals("succeeded")) {
                assertThat(done.path("logs").path("stdout").asText()).as("a succeeded run ran: %s", done)
                        .isEqualTo("ran\n");
            } else {
                assertThat(done.path("status").asText()).as("state %s", done).isEqualTo("failed");
                assertThat(done.path("errorCode").asText()).as("state %s", done).isIn("START_FAILED", "LOST");
                assertThat(done.path("exitCode").isNull()).as("a run that never started has no exit code: %s", done)
                        .isTrue();
            }
            assertNoContainersLeftFor(id);
        }
    }
}
