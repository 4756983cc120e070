package dev.lightrun.server.runs;

import dev.lightrun.server.fakes.FakeCluster;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunErrorCode;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster;
import dev.lightrun.server.store.SqliteRunStore;
import dev.lightrun.server.store.StoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * This replica's claimer on a {@link FakeCluster} (the shared queue in memory, rows in SQLite in a temporary folder):
 * it claims while a slot is free, one run per freed slot, never for a run re-attached in a slot, leaves an owner at
 * its maxConcurrent waiting, and survives a failed claim. The claimer is a thread: every wait is on a condition.
 */
class SharedQueueTest {
    private static final RunPlan PLAN = new RunPlan(List.of(), Duration.ofSeconds(30), null, null);
    private static final byte[] REQUEST = "{}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    private SqliteRunStore rows;
    private FakeCluster cluster;
    private SharedQueue queue;
    private final List<String> started = new CopyOnWriteArrayList<>();
    private final Map<String, Quota> quotas = new ConcurrentHashMap<>();

    @BeforeEach
    void open() {
        rows = new SqliteRunStore(dir.resolve("data"));
        cluster = new FakeCluster("replica-a", rows);
    }

    @AfterEach
    void close() {
        if (queue != null) {
            queue.close();
        }
        cluster.close();
        rows.close();
    }

    /** A queue with this many slots and a shared queue of {@code maxQueue}; its started runs go to {@link #started}. */
    private SharedQueue queue(int slots, int maxQueue) {
        queue = new SharedQueue(cluster, slots, maxQueue, owner -> quotas.getOrDefault(owner, Quota.UNLIMITED),
                claimed -> started.add(claimed.running().id()));
        return queue;
    }

    private static String id(int n) {
        return "00000000-0000-7000-8000-%012d".formatted(n);
    }

    private Cluster.Enqueued enqueue(int n, String owner) {
        return queue.enqueue(RunState.queued(id(n), "img", owner, true, Instant.now()), PLAN, REQUEST,
                quotas.getOrDefault(owner, Quota.UNLIMITED));
    }

    private static Quota maxConcurrent(int cap) {
        return new Quota(cap, null, null, null, null, null, null);
    }

    private static Quota maxQueued(int cap) {
        return new Quota(null, cap, null, null, null, null, null);
    }

    @Test
    void claimsWhileASlotIsFreeThenOneRunPerFreedSlot() {
        queue(2, 10).start();
        assertThat(enqueue(1, "x")).isEqualTo(Cluster.Enqueued.QUEUED);
        assertThat(enqueue(2, "x")).isEqualTo(Cluster.Enqueued.QUEUED);
        assertThat(enqueue(3, "x")).isEqualTo(Cluster.Enqueued.QUEUED);

        await().atMost(Duration.ofSeconds(10)).until(() -> started.size() == 2);
        assertThat(started).containsExactlyInAnyOrder(id(1), id(2));
        assertThat(cluster.calls()).filteredOn(call -> call.startsWith("claim")).containsExactly(
                "claim " + id(1), "claim " + id(2));
        assertThat(queue.held()).isEqualTo(2);
        assertThat(queue.length()).as("both slots taken: the third waits").isEqualTo(1);

        queue.release(id(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> started.size() == 3);
        assertThat(started).contains(id(3));
        assertThat(queue.held()).isEqualTo(2);
        assertThat(queue.length()).isZero();
    }

    @Test
    void aRunReattachedAtStartUpHoldsItsSlotUntilItEnds() {
        queue(1, 10);
        queue.occupy("reattached-run");
        enqueue(1, "x");
        queue.start();

        assertThat(queue.held()).isEqualTo(1);
        assertThat(queue.length()).as("no free slot: nothing is claimed").isEqualTo(1);
        queue.release("never-held");
        assertThat(queue.held()).isEqualTo(1);

        queue.release("reattached-run");

        await().atMost(Duration.ofSeconds(10)).until(() -> started.contains(id(1)));
        assertThat(queue.length()).isZero();
    }

    @Test
    void anOwnerAtItsMaxConcurrentWaitsWhileOthersAreClaimed() {
        quotas.put("x", maxConcurrent(1));
        queue(3, 10);
        enqueue(1, "x");
        enqueue(2, "x");
        enqueue(3, "y");
        queue.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> started.size() == 2);
        assertThat(started).containsExactlyInAnyOrder(id(1), id(3));
        assertThat(queue.length()).as("x's second waits for its first, a slot is free").isEqualTo(1);

        // Its first ends: the final state stored, its slot released.
        RunState first = rows.find(id(1)).orElseThrow();
        rows.finish(first.endedWithoutContainer(RunStatus.FAILED, "exited", RunErrorCode.NONZERO_EXIT), null);
        queue.release(id(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> started.contains(id(2)));
    }

    @Test
    void enqueueHandsTheServersQueueAndTheOwnersMaxQueuedToTheClusterAndReportsARefusal() {
        quotas.put("x", maxQueued(1));
        queue(1, 2);

        assertThat(enqueue(1, "x")).isEqualTo(Cluster.Enqueued.QUEUED);
        assertThat(enqueue(2, "x")).isEqualTo(Cluster.Enqueued.OWNER_QUEUE_FULL);
        assertThat(enqueue(3, "y")).isEqualTo(Cluster.Enqueued.QUEUED);
        assertThat(enqueue(4, "z")).isEqualTo(Cluster.Enqueued.QUEUE_FULL);

        assertThat(cluster.calls()).startsWith("enqueue " + id(1) + " maxQueue=2 ownerMaxQueued=1",
                "enqueue " + id(2) + " maxQueue=2 ownerMaxQueued=1",
                "enqueue " + id(3) + " maxQueue=2 ownerMaxQueued=null");
        assertThat(rows.find(id(2))).as("refused: not recorded").isEmpty();
        assertThat(rows.find(id(4))).isEmpty();
        assertThat(queue.length()).isEqualTo(2);
    }

    @Test
    void aFailedClaimIsTriedAgainOnTheNextWakeUp() {
        cluster.failNextClaim(new StoreException("the database is restarting", null));
        queue(1, 10);
        enqueue(1, "x");
        queue.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.calls().contains("claim failed"));
        queue.wake();

        await().atMost(Duration.ofSeconds(10)).until(() -> started.contains(id(1)));
    }
}
