package dev.lightrun.server.store;

import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.model.RunStatus;
import dev.lightrun.server.store.Cluster.Command;
import dev.lightrun.server.store.Cluster.CommandOutcome;
import dev.lightrun.server.store.Cluster.Enqueued;
import dev.lightrun.server.store.Cluster.Member;
import dev.lightrun.server.store.Cluster.Replica;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas on one PostgreSQL database (the server of {@code scripts/dev-services.sh}, each test in a schema of its
 * own): two stores named replica-a and replica-b and their {@link PostgresCluster}s. The shared queue's order, caps
 * and limits, a claim never given twice under concurrency, withdraw against claim, claims going back to the queue,
 * adoption of a lost replica's runs, heartbeat rows, commands, LISTEN/NOTIFY signals, what each replica recovers, and
 * a database migrated from the schema before replicas.
 */
class PostgresClusterIT {
    private static final RunPlan PLAN = new RunPlan(List.of(), Duration.ofSeconds(30), null, null);
    private static final RunPlan PLAN_WITH_CALLBACK = new RunPlan(List.of(), Duration.ofSeconds(30),
            "https://hooks.example/x", "a-secret-of-16-chars");
    private static final byte[] REQUEST = "{\"image\":\"img\",\"env\":{\"K\":\"v\"}}".getBytes(StandardCharsets.UTF_8);
    private static final Function<String, Integer> NO_CAP = owner -> null;
    private static final Duration SILENCE = Duration.ofSeconds(10);
    private static final int ROOMY = 1000;

    private PostgresTestDatabase database;
    /** Closed in reverse order after each test: clusters before their stores, the schema last. */
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private PostgresRunStore a;
    private PostgresRunStore b;
    private PostgresCluster ca;
    private PostgresCluster cb;

    @BeforeEach
    void openTwoReplicas() {
        database = PostgresTestDatabase.create();
        opened.push(database);
        a = open(new PostgresRunStore(database.url(), "replica-a"));
        b = open(new PostgresRunStore(database.url(), "replica-b"));
        ca = open(a.cluster());
        cb = open(b.cluster());
    }

    @AfterEach
    void closeEverything() throws Exception {
        while (!opened.isEmpty()) {
            opened.pop().close();
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        opened.push(closeable);
        return closeable;
    }

    private static String id(int n) {
        return "00000000-0000-7000-8000-%012d".formatted(n);
    }

    private static RunState queued(int n, String owner) {
        return RunState.queued(id(n), "img", owner, true, Instant.now());
    }

    private static void enqueue(Cluster cluster, int n, String owner) {
        assertThat(cluster.enqueue(queued(n, owner), PLAN, REQUEST, ROOMY, null)).as("enqueue %s", n)
                .isEqualTo(Enqueued.QUEUED);
    }

    /** The id of the run {@code cluster} claims next (no owner capped), or null when none is eligible. */
    private static String claim(Cluster cluster) {
        return cluster.claim(NO_CAP).map(claimed -> claimed.running().id()).orElse(null);
    }

    private static Member member(String name, int slots, String url) {
        return new Member(name, "instance-of-" + name, "host-of-" + name, url, slots,
                Instant.parse("2026-12-01T09:00:00Z"));
    }

    /** As if the replica stopped beating an hour ago. */
    private void silence(String replica) {
        database.execute("UPDATE replicas SET heartbeat_at = now() - interval '1 hour' WHERE name = '" + replica + "'");
    }

    private static RunState finished(String id) {
        return RunStoreContract.finished(id);
    }

    private String requestColumn(String id) throws Exception {
        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement("SELECT request FROM runs WHERE id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("row %s", id).isTrue();
                byte[] request = rs.getBytes(1);
                return request == null ? null : new String(request, StandardCharsets.UTF_8);
            }
        }
    }

    // ---------------------------------------------------------------- enqueue and claim

    @Test
    void oneOwnersRunsAreClaimedOldestFirstAndRecordedRunningOnTheClaimer() {
        enqueue(ca, 1, "x");
        enqueue(cb, 2, "x");
        enqueue(ca, 3, "x");
        assertThat(ca.queueLength()).isEqualTo(3);
        assertThat(a.find(id(1)).orElseThrow().replica()).as("waiting in the shared queue: no replica").isNull();

        Cluster.Claimed first = cb.claim(NO_CAP).orElseThrow();

        assertThat(first.running().id()).isEqualTo(id(1));
        assertThat(first.running().status()).isEqualTo(RunStatus.RUNNING);
        assertThat(first.running().startedAt()).isNotNull();
        assertThat(first.running().replica()).isEqualTo("replica-b");
        assertThat(first.request()).isEqualTo(REQUEST);
        RunState stored = a.find(id(1)).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(stored.replica()).isEqualTo("replica-b");
        assertThat(claim(ca)).isEqualTo(id(2));
        assertThat(claim(cb)).isEqualTo(id(3));
        assertThat(claim(ca)).as("nothing left").isNull();
        assertThat(ca.queueLength()).isZero();
    }

    @Test
    void ownersTakeTurnsLeastRecentlyServedFirstAcrossReplicas() {
        for (int n = 1; n <= 5; n++) {
            enqueue(ca, n, "x");
        }
        enqueue(cb, 6, "y");
        enqueue(cb, 7, "y");

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            order.add(claim(i % 2 == 0 ? ca : cb));
        }

        assertThat(order).as("x, then y (never served), then x again, ...")
                .containsExactly(id(1), id(6), id(2), id(7), id(3), id(4), id(5));
    }

    @Test
    void anOwnersMaxConcurrentCountsItsRunsOnEveryReplica() {
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");
        enqueue(ca, 3, "y");
        Function<String, Integer> xCappedAtOne = owner -> owner.equals("x") ? 1 : null;

        assertThat(ca.claim(xCappedAtOne).orElseThrow().running().id()).isEqualTo(id(1));
        assertThat(cb.claim(xCappedAtOne).map(c -> c.running().id())).as("x runs its one on replica-a: y's goes")
                .contains(id(3));
        assertThat(cb.claim(xCappedAtOne)).as("x's second waits while its first runs").isEmpty();
        assertThat(ca.queueLength()).isEqualTo(1);

        a.finish(finished(id(1)), null);

        assertThat(cb.claim(xCappedAtOne).map(c -> c.running().id())).contains(id(2));
    }

    @Test
    void maxQueueCountsOnlyTheRunsNoFreeSlotTakesAtOnce() {
        // Without a live replica no slot is free: maxQueue 1 holds one run.
        assertThat(ca.enqueue(queued(1, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUED);
        assertThat(ca.enqueue(queued(2, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUE_FULL);
        assertThat(a.find(id(2))).as("a refusal records nothing").isEmpty();

        // Two free slots on replica-a: two more runs start at once, so they do not count against maxQueue.
        ca.heartbeat(member("replica-a", 2, null));
        assertThat(ca.enqueue(queued(3, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUED);
        assertThat(cb.enqueue(queued(4, "y"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUED);
        assertThat(cb.enqueue(queued(5, "y"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUE_FULL);

        // A run claimed takes its slot: still full. A second live replica's slot makes room again.
        assertThat(claim(ca)).isEqualTo(id(1));
        assertThat(ca.enqueue(queued(6, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUE_FULL);
        cb.heartbeat(member("replica-b", 1, null));
        assertThat(ca.enqueue(queued(7, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUED);

        // The slots of a silent replica are not free.
        silence("replica-b");
        assertThat(ca.enqueue(queued(8, "x"), PLAN, REQUEST, 1, null)).isEqualTo(Enqueued.QUEUE_FULL);

        assertThat(ca.queueLength()).isEqualTo(3);
        for (int refused : List.of(2, 5, 6, 8)) {
            assertThat(a.find(id(refused))).as("refused %s: not recorded", refused).isEmpty();
        }
    }

    @Test
    void ownerMaxQueuedRefusesThatOwnerOnlyAndNotARunThatStartsAtOnce() {
        assertThat(ca.enqueue(queued(1, "x"), PLAN, REQUEST, ROOMY, 2)).isEqualTo(Enqueued.QUEUED);
        assertThat(cb.enqueue(queued(2, "x"), PLAN, REQUEST, ROOMY, 2)).isEqualTo(Enqueued.QUEUED);
        assertThat(ca.enqueue(queued(3, "x"), PLAN, REQUEST, ROOMY, 2)).isEqualTo(Enqueued.OWNER_QUEUE_FULL);
        assertThat(ca.enqueue(queued(4, "y"), PLAN, REQUEST, ROOMY, 2)).as("another owner").isEqualTo(Enqueued.QUEUED);
        assertThat(a.find(id(3))).as("a refusal records nothing").isEmpty();
        assertThat(ca.queueLength()).isEqualTo(3);

        // Four free slots for three waiting runs: the next one starts at once, whatever x already has waiting.
        ca.heartbeat(member("replica-a", 4, null));
        assertThat(ca.enqueue(queued(5, "x"), PLAN, REQUEST, ROOMY, 2)).isEqualTo(Enqueued.QUEUED);
        assertThat(ca.enqueue(queued(6, "x"), PLAN, REQUEST, ROOMY, 0)).as("no free slot left for it")
                .isEqualTo(Enqueued.OWNER_QUEUE_FULL);
    }

    // ---------------------------------------------------------------- exactly once

    @Test
    void twoHundredRunsAreEachClaimedOnceByEightThreadsOnTwoReplicas() throws Exception {
        int runs = 200;
        for (int n = 0; n < runs; n++) {
            enqueue(n % 2 == 0 ? ca : cb, n, "owner-" + (n % 5));
        }
        Map<String, String> claimedBy = new ConcurrentHashMap<>();
        List<String> twice = new CopyOnWriteArrayList<>();
        List<Future<?>> claimers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                PostgresCluster cluster = t % 2 == 0 ? ca : cb;
                claimers.add(pool.submit(() -> {
                    for (Optional<Cluster.Claimed> claimed = cluster.claim(NO_CAP); claimed.isPresent();
                         claimed = cluster.claim(NO_CAP)) {
                        if (claimedBy.putIfAbsent(claimed.get().running().id(), cluster.replica()) != null) {
                            twice.add(claimed.get().running().id());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> claimer : claimers) {
                claimer.get(60, TimeUnit.SECONDS);
            }
        }

        assertThat(twice).as("claimed twice").isEmpty();
        assertThat(claimedBy).hasSize(runs);
        assertThat(ca.queueLength()).isZero();
        for (Map.Entry<String, String> claim : claimedBy.entrySet()) {
            RunState stored = b.find(claim.getKey()).orElseThrow();
            assertThat(stored.status()).as(claim.getKey()).isEqualTo(RunStatus.RUNNING);
            assertThat(stored.replica()).as(claim.getKey()).isEqualTo(claim.getValue());
        }
    }

    // ---------------------------------------------------------------- withdraw

    @Test
    void aWithdrawnRunIsNoLongerClaimableAndAClaimedOneCannotBeWithdrawn() {
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");

        RunState withdrawn = ca.withdraw(id(1)).orElseThrow();

        assertThat(withdrawn.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(withdrawn.replica()).isEqualTo("replica-a");
        assertThat(ca.replicaOf(id(1))).as("this replica ends it").contains("replica-a");
        assertThat(ca.queueLength()).isEqualTo(1);
        assertThat(claim(cb)).isEqualTo(id(2));
        assertThat(claim(cb)).isNull();
        assertThat(cb.withdraw(id(2))).as("claimed: not queued any more").isEmpty();
        assertThat(cb.withdraw(id(1))).as("already taken out of line").isEmpty();
        assertThat(ca.withdraw(id(99))).as("unknown").isEmpty();
    }

    @Test
    void withdrawAndClaimRacingNeverBothTakeARun() throws Exception {
        int runs = 100;
        for (int n = 0; n < runs; n++) {
            enqueue(ca, n, "owner-" + (n % 3));
        }
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        Set<String> withdrawn = ConcurrentHashMap.newKeySet();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<?> claimer = pool.submit(() -> {
                for (String id = claim(cb); id != null; id = claim(cb)) {
                    claimed.add(id);
                }
                return null;
            });
            Future<?> canceller = pool.submit(() -> {
                for (int n = runs - 1; n >= 0; n--) {
                    ca.withdraw(id(n)).ifPresent(state -> withdrawn.add(state.id()));
                }
                return null;
            });
            claimer.get(60, TimeUnit.SECONDS);
            canceller.get(60, TimeUnit.SECONDS);
        }

        assertThat(claimed).doesNotContainAnyElementsOf(withdrawn);
        Set<String> all = new HashSet<>(claimed);
        all.addAll(withdrawn);
        assertThat(all).hasSize(runs);
        for (String id : withdrawn) {
            assertThat(a.find(id).orElseThrow().replica()).isEqualTo("replica-a");
        }
    }

    // ---------------------------------------------------------------- claims going back

    @Test
    void aLaunchedClaimStaysAndAnUnlaunchedOneGoesBackToTheQueue() throws Exception {
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");
        assertThat(claim(ca)).isEqualTo(id(1));
        assertThat(claim(ca)).isEqualTo(id(2));

        ca.launched(id(1));

        assertThat(requestColumn(id(1))).as("launched: its request (env, input) is dropped").isNull();
        assertThat(requestColumn(id(2))).isEqualTo(new String(REQUEST, StandardCharsets.UTF_8));
        assertThat(ca.requeueIfUnlaunched(id(1))).isFalse();
        assertThat(cb.requeueIfUnlaunched(id(2))).as("not replica-b's claim").isFalse();
        assertThat(ca.requeueIfUnlaunched(id(2))).isTrue();

        RunState back = a.find(id(2)).orElseThrow();
        assertThat(back.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(back.startedAt()).isNull();
        assertThat(back.replica()).isNull();
        assertThat(a.find(id(1)).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
        Cluster.Claimed again = cb.claim(NO_CAP).orElseThrow();
        assertThat(again.running().id()).isEqualTo(id(2));
        assertThat(again.request()).as("its request came back with it").isEqualTo(REQUEST);
    }

    @Test
    void theUnlaunchedClaimsOfASilentReplicaGoBackToTheQueueAndItsLaunchedRunsStay() {
        ca.heartbeat(member("replica-a", 4, null));
        cb.heartbeat(member("replica-b", 4, null));
        for (int n = 1; n <= 4; n++) {
            enqueue(ca, n, "x");
        }
        assertThat(claim(cb)).isEqualTo(id(1));
        assertThat(claim(cb)).isEqualTo(id(2));
        cb.launched(id(2));
        assertThat(cb.withdraw(id(3))).as("taken out of line to be cancelled, never ended").isPresent();
        assertThat(claim(ca)).isEqualTo(id(4));

        assertThat(ca.releaseSilentClaims(SILENCE)).as("replica-b beats").isZero();
        silence("replica-b");
        assertThat(ca.releaseSilentClaims(SILENCE)).isEqualTo(2);

        for (int n : List.of(1, 3)) {
            RunState back = a.find(id(n)).orElseThrow();
            assertThat(back.status()).as("run %s", n).isEqualTo(RunStatus.QUEUED);
            assertThat(back.startedAt()).as("run %s", n).isNull();
            assertThat(back.replica()).as("run %s", n).isNull();
        }
        RunState launched = a.find(id(2)).orElseThrow();
        assertThat(launched.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(launched.replica()).isEqualTo("replica-b");
        assertThat(a.find(id(4)).orElseThrow().replica()).as("replica-a's claim is not touched").isEqualTo("replica-a");
        assertThat(ca.queueLength()).isEqualTo(2);
        assertThat(List.of(claim(ca), claim(ca))).containsExactly(id(1), id(3));
    }

    @Test
    void adoptingAGoneReplicasRunsTakesItsRunningRowsRequeuesItsClaimsAndReturnsItsCallbacks() {
        for (int n = 1; n <= 3; n++) {
            enqueue(ca, n, "x");
        }
        assertThat(claim(cb)).isEqualTo(id(1));
        assertThat(claim(cb)).isEqualTo(id(2));
        assertThat(claim(cb)).isEqualTo(id(3));
        cb.launched(id(2));
        cb.launched(id(3));
        // Run 3 ended on replica-b, its callback not delivered yet. Run 4's was delivered: it stays replica-b's.
        enqueue(ca, 4, "x");
        assertThat(claim(cb)).isEqualTo(id(4));
        cb.launched(id(4));
        b.finish(finished(id(3)), "{\"id\":3}".getBytes(StandardCharsets.UTF_8));
        b.finish(finished(id(4)), "{\"id\":4}".getBytes(StandardCharsets.UTF_8));
        b.callbackAttempted(id(4), 200, true, false, Instant.now());

        Cluster.Adopted adopted = ca.adoptRunsOf("replica-b");

        assertThat(adopted.running()).singleElement().satisfies(run -> {
            assertThat(run.id()).isEqualTo(id(2));
            assertThat(run.replica()).as("still naming the replica it was lost on").isEqualTo("replica-b");
        });
        assertThat(adopted.callbacks()).containsExactly(id(3));
        assertThat(a.find(id(1)).orElseThrow().status()).as("never launched: back in the queue")
                .isEqualTo(RunStatus.QUEUED);
        assertThat(a.find(id(2)).orElseThrow().replica()).as("its state names where it was lost")
                .isEqualTo("replica-b");
        assertThat(a.find(id(3)).orElseThrow().replica()).isEqualTo("replica-a");
        assertThat(a.find(id(4)).orElseThrow().replica()).isEqualTo("replica-b");
        assertThat(a.running()).extracting(RunState::id).containsExactly(id(2));
        assertThat(b.running()).isEmpty();
        assertThat(a.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id(3));
        assertThat(b.pendingCallbacks()).isEmpty();
        assertThat(claim(cb)).isEqualTo(id(1));
    }

    // ---------------------------------------------------------------- replicas

    @Test
    void heartbeatRowsShowEachReplicaAliveOrNotWithItsRunningRuns() {
        ca.heartbeat(member("replica-a", 2, "http://a.example:3000"));
        cb.heartbeat(member("replica-b", 1, null));
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");
        enqueue(ca, 3, "x");
        assertThat(claim(cb)).isEqualTo(id(1));
        assertThat(claim(cb)).isEqualTo(id(2));
        b.finish(finished(id(2)), null);

        List<Replica> replicas = cb.replicas(SILENCE);

        assertThat(replicas).extracting(Replica::name).containsExactly("replica-a", "replica-b");
        Replica ra = replicas.get(0);
        assertThat(ra.alive()).isTrue();
        assertThat(ra.running()).isZero();
        assertThat(ra.slots()).isEqualTo(2);
        assertThat(ra.url()).isEqualTo("http://a.example:3000");
        assertThat(ra.host()).isEqualTo("host-of-replica-a");
        assertThat(ra.startedAt()).isEqualTo(Instant.parse("2026-12-01T09:00:00Z"));
        assertThat(ra.heartbeatAt()).isAfter(Instant.now().minus(Duration.ofMinutes(1)));
        Replica rb = replicas.get(1);
        assertThat(rb.alive()).isTrue();
        assertThat(rb.running()).as("counted from its running rows, finished ones not").isEqualTo(1);
        assertThat(rb.url()).isNull();

        silence("replica-b");
        assertThat(ca.replicas(SILENCE)).extracting(Replica::name, Replica::alive)
                .containsExactly(tuple("replica-a", true),
                        tuple("replica-b", false));
        cb.heartbeat(member("replica-b", 3, null));
        assertThat(ca.replicas(SILENCE).get(1)).satisfies(again -> {
            assertThat(again.alive()).as("a heartbeat brings it back").isTrue();
            assertThat(again.slots()).isEqualTo(3);
        });
    }

    @Test
    void urlAndReplicaOfARunAndRemovingARow() {
        ca.heartbeat(member("replica-a", 2, "http://a.example:3000"));
        cb.heartbeat(member("replica-b", 1, null));
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");
        assertThat(claim(cb)).isEqualTo(id(1));

        assertThat(cb.urlOf("replica-a")).contains("http://a.example:3000");
        assertThat(ca.urlOf("replica-b")).as("no address").isEmpty();
        assertThat(ca.urlOf("replica-z")).isEmpty();
        assertThat(ca.replicaOf(id(1))).contains("replica-b");
        assertThat(ca.replicaOf(id(2))).as("waiting").isEmpty();
        assertThat(ca.replicaOf(id(99))).isEmpty();

        assertThat(ca.remove("replica-b")).isTrue();
        assertThat(ca.remove("replica-b")).isFalse();
        assertThat(ca.replicas(SILENCE)).extracting(Replica::name).containsExactly("replica-a");
    }

    @Test
    void aSecondLiveProcessUnderAReplicasNameIsRefusedButARestartIsNot() {
        ca.heartbeat(member("replica-a", 2, null));

        ca.checkNameFree("instance-of-replica-a", SILENCE);
        assertThatThrownBy(() -> ca.checkNameFree("another-data-folder", SILENCE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("replica 'replica-a'")
                .hasMessageContaining("host-of-replica-a");
        silence("replica-a");
        ca.checkNameFree("another-data-folder", SILENCE);
    }

    @Test
    void aReplicaNameOutsideTheSafeAlphabetIsRefused() {
        PostgresRunStore odd = open(new PostgresRunStore(database.url(), "bad name;"));
        assertThatThrownBy(odd::cluster).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad name;");
    }

    // ---------------------------------------------------------------- commands and signals

    @Test
    void aCommandReachesOnlyItsReplicaAndItsOutcomeComesBack() {
        enqueue(ca, 1, "x");
        assertThat(claim(cb)).isEqualTo(id(1));

        long stop = ca.sendCommand("replica-b", id(1), Command.Action.STOP, "SIGINT", 2500L);
        long pause = ca.sendCommand("replica-b", id(1), Command.Action.PAUSE, null, null);

        assertThat(ca.pendingCommands()).isEmpty();
        assertThat(cb.pendingCommands()).containsExactly(
                new Command(stop, id(1), Command.Action.STOP, "SIGINT", 2500L),
                new Command(pause, id(1), Command.Action.PAUSE, null, null));
        assertThat(ca.outcome(stop)).isEmpty();

        cb.commandDone(stop, null, null, null);
        cb.commandDone(pause, 409, "CONFLICT", "run is already paused");

        assertThat(ca.outcome(stop)).contains(new CommandOutcome(null, null, null));
        assertThat(ca.outcome(pause)).contains(new CommandOutcome(409, "CONFLICT", "run is already paused"));
        assertThat(cb.pendingCommands()).isEmpty();
    }

    @Test
    void aSignalReachesEveryListeningReplicaOfThisSchemaOnly() {
        List<String> atA = new CopyOnWriteArrayList<>();
        List<String> atB = new CopyOnWriteArrayList<>();
        List<String> elsewhere = new CopyOnWriteArrayList<>();
        ca.listen(atA::add);
        cb.listen(atB::add);
        PostgresTestDatabase other = open(PostgresTestDatabase.create());
        PostgresCluster stranger = open(open(new PostgresRunStore(other.url(), "replica-a")).cluster());
        stranger.listen(elsewhere::add);
        // LISTEN starts on a thread of its own: a signal sent before it is not seen. Ping until each one hears.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            ca.signal("ping");
            stranger.signal("ping");
            return atA.contains("ping") && atB.contains("ping") && elsewhere.contains("ping");
        });

        ca.signal(Cluster.Signal.finished(id(1)));
        enqueue(cb, 2, "x");
        long command = cb.sendCommand("replica-a", id(2), Command.Action.CANCEL, null, null);
        ca.commandDone(command, null, null, null);
        stranger.signal("last");

        List<String> expected = List.of("finished:" + id(1), "queued", "command:replica-a", "done:" + command);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(atA).containsSubsequence(expected);
            assertThat(atB).containsSubsequence(expected);
            assertThat(elsewhere).contains("last");
        });
        // Notifications arrive in commit order: had the stranger heard this schema's, they would precede "last".
        assertThat(elsewhere).as("another schema's replicas hear nothing of this one's").containsOnly("ping", "last");
    }

    // ---------------------------------------------------------------- recovery

    @Test
    void eachReplicaRecoversItsOwnRowsAndNotTheOthers() {
        enqueue(ca, 1, "x");
        enqueue(ca, 2, "x");
        enqueue(ca, 3, "x");
        enqueue(ca, 4, "x");
        assertThat(claim(ca)).isEqualTo(id(1));
        assertThat(claim(cb)).isEqualTo(id(2));
        assertThat(claim(ca)).isEqualTo(id(3));
        assertThat(claim(cb)).isEqualTo(id(4));
        // Runs 3 and 4 ended, their callbacks not delivered yet.
        a.finish(finished(id(3)), "{\"id\":3}".getBytes(StandardCharsets.UTF_8));
        b.finish(finished(id(4)), "{\"id\":4}".getBytes(StandardCharsets.UTF_8));

        assertThat(a.running()).extracting(RunState::id).containsExactly(id(1));
        assertThat(b.running()).extracting(RunState::id).containsExactly(id(2));
        assertThat(a.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id(3));
        assertThat(b.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id(4));
    }

    @Test
    void rowsFromBeforeReplicasAreRecoveredByTheFirstReplicaToRecover() {
        // A row a single server wrote (no replica): running, and finished with its callback pending.
        a.create(RunState.running(id(1), "img", "x", true, Instant.now()), PLAN_WITH_CALLBACK, null);
        a.create(RunState.running(id(2), "img", "x", true, Instant.now()), PLAN_WITH_CALLBACK, null);
        a.finish(finished(id(2)), "{\"id\":2}".getBytes(StandardCharsets.UTF_8));
        enqueue(cb, 3, "x");
        assertThat(claim(cb)).isEqualTo(id(3));

        assertThat(a.running()).extracting(RunState::id).containsExactly(id(1));
        assertThat(a.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(id(2));
        assertThat(b.running()).as("replica-a recovered it first: not replica-b's to recover too")
                .extracting(RunState::id).containsExactly(id(3));
        assertThat(b.pendingCallbacks()).isEmpty();
        assertThat(b.find(id(1)).orElseThrow().replica()).isEqualTo("replica-a");
    }

    // ---------------------------------------------------------------- migration

    @Test
    void aDatabaseOfTheVersionBeforeReplicasIsMigratedAndItsRowsAreTheFirstReplicasToRecover() throws Exception {
        // A database of its own, at version 1: the one opened before each test is already at version 2.
        closeEverything();
        database = open(PostgresTestDatabase.create());
        Flyway.configure().dataSource(database.url(), null, null).locations("classpath:db/postgres").target("1")
                .load().migrate();
        String done = id(1);
        String running = id(2);
        // The rows as version 1 wrote them: no replica column, states without a replica field.
        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement("INSERT INTO runs(id, status, owner, state, plan, request,"
                     + " updated_at) VALUES (?, ?, 'team-a', ?, ?, NULL, now())")) {
            st.setString(1, done);
            st.setString(2, "succeeded");
            st.setString(3, """
                    {"id":"%s","status":"succeeded","image":"img","owner":"team-a","detached":true,
                     "queuedAt":"2026-12-01T10:00:00Z","startedAt":"2026-12-01T10:00:01Z",
                     "finishedAt":"2026-12-01T10:00:02Z","exitCode":0,"durationMs":1000,"timedOut":false,
                     "oomKilled":false,"artifacts":[],"error":null,"errorCode":null,
                     "logs":{"stdout":"hi\\n","stderr":"","stdoutTruncated":false,"stderrTruncated":false},
                     "timings":{"start":120},"callback":null,"start":"cold"}""".formatted(done));
            st.setString(4, "{\"extract\":[],\"timeout\":\"PT30S\",\"callbackUrl\":\"https://hooks.example/x\","
                    + "\"callbackSecret\":\"a-secret-of-16-chars\"}");
            st.executeUpdate();
            st.setString(1, running);
            st.setString(2, "running");
            st.setString(3, """
                    {"id":"%s","status":"running","image":"img","owner":"team-a","detached":true,
                     "queuedAt":"2026-12-01T10:00:00Z","startedAt":"2026-12-01T10:00:01Z","finishedAt":null,
                     "exitCode":null,"durationMs":null,"timedOut":false,"oomKilled":false,"artifacts":[],
                     "error":null,"errorCode":null,
                     "logs":{"stdout":"","stderr":"","stdoutTruncated":false,"stderrTruncated":false},
                     "timings":{},"callback":null,"start":null}""".formatted(running));
            st.setString(4, "{\"extract\":[],\"timeout\":\"PT30S\",\"callbackUrl\":null,\"callbackSecret\":null}");
            st.executeUpdate();
        }
        database.execute("INSERT INTO callbacks(run_id, body, attempts, created_at) VALUES ('" + done
                + "', convert_to('{}', 'UTF8'), 0, now())");

        PostgresRunStore first = open(new PostgresRunStore(database.url(), "replica-a"));
        PostgresRunStore second = open(new PostgresRunStore(database.url(), "replica-b"));

        try (Connection db = database.connect();
             PreparedStatement st = db.prepareStatement("SELECT max(version::int) FROM flyway_schema_history"
                     + " WHERE success");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
        RunState read = first.find(done).orElseThrow();
        assertThat(read.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(read.replica()).isNull();
        assertThat(read.logs().stdout()).isEqualTo("hi\n");
        assertThat(read.start()).isEqualTo("cold");
        assertThat(first.page(null, "team-a", 10, null).runs()).extracting(RunState::id, RunState::replica)
                .containsExactly(tuple(running, null),
                        tuple(done, null));
        assertThat(first.running()).extracting(RunState::id).containsExactly(running);
        assertThat(first.pendingCallbacks()).extracting(RunStore.PendingCallback::runId).containsExactly(done);
        assertThat(second.running()).as("adopted by replica-a, which recovered first").isEmpty();
        assertThat(second.pendingCallbacks()).isEmpty();
        assertThat(second.find(running).orElseThrow().replica()).isEqualTo("replica-a");
        assertThat(open(first.cluster()).queueLength()).isZero();
    }
}
