package dev.lightrun.server.runs;

import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunState;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The concurrency cap and its queue, fair per tenant, on their own. */
class AdmissionTest {
    private static final Quota ONE_AT_A_TIME = new Quota(1, null, null, null, null, null, null);

    private static Admission.Waiting waiting(String id, String owner) {
        return new Admission.Waiting(RunState.queued(id, "alpine:3", owner, false, Instant.EPOCH), null);
    }

    /** Admits a run of {@code owner} (its id starts with the owner's name) under {@code quota}. */
    private static Admission.Decision admit(Admission admission, String id, Quota quota) {
        String owner = id.substring(0, id.indexOf('-'));
        return admission.admit(id, owner, quota, () -> waiting(id, owner));
    }

    private static Admission.Waiting waiting(String id) {
        return new Admission.Waiting(RunState.queued(id, "alpine:3", "admin", false, Instant.EPOCH), null);
    }

    private static List<String> ids(List<Admission.Waiting> waiting) {
        return waiting.stream().map(w -> w.state().id()).toList();
    }

    @Test
    void startsUpToTheSlotsThenQueuesThenRefuses() {
        Admission admission = new Admission(2, 1);

        assertThat(admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"))).isEqualTo(Admission.Decision.START);
        assertThat(admission.admit("b", "admin", Quota.UNLIMITED, () -> waiting("b"))).isEqualTo(Admission.Decision.START);
        assertThat(admission.admit("c", "admin", Quota.UNLIMITED, () -> waiting("c"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(admission.admit("d", "admin", Quota.UNLIMITED, () -> waiting("d"))).isEqualTo(Admission.Decision.REFUSE);
        assertThat(ids(admission.queued())).containsExactly("c");
        assertThat(admission.queueLength()).isEqualTo(1);
    }

    @Test
    void asksForTheWaitingEntryOnlyWhenItQueues() {
        Admission admission = new Admission(1, 0);
        AtomicInteger asked = new AtomicInteger();

        admission.admit("a", "admin", Quota.UNLIMITED, () -> {
            asked.incrementAndGet();
            return waiting("a");
        });
        admission.admit("b", "admin", Quota.UNLIMITED, () -> {
            asked.incrementAndGet();
            return waiting("b");
        });

        // Started and refused runs are not recorded as queued (the supplier is where the service stores them).
        assertThat(asked).hasValue(0);
    }

    @Test
    void aQueueOfZeroRefusesOnceTheSlotsAreTaken() {
        Admission admission = new Admission(1, 0);
        admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"));

        assertThat(admission.admit("b", "admin", Quota.UNLIMITED, () -> waiting("b"))).isEqualTo(Admission.Decision.REFUSE);
    }

    @Test
    void releaseHandsTheSlotToTheHeadOfTheQueue() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"));
        admission.admit("b", "admin", Quota.UNLIMITED, () -> waiting("b"));
        admission.admit("c", "admin", Quota.UNLIMITED, () -> waiting("c"));

        assertThat(ids(admission.release("a"))).containsExactly("b");
        assertThat(ids(admission.queued())).containsExactly("c");
        assertThat(ids(admission.release("b"))).containsExactly("c");
        assertThat(admission.release("c")).isEmpty();
        assertThat(admission.admit("d", "admin", Quota.UNLIMITED, () -> waiting("d"))).isEqualTo(Admission.Decision.START);
    }

    @Test
    void releaseOfARunWithoutASlotStartsNothingWhileSlotsAreFull() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"));
        admission.admit("b", "admin", Quota.UNLIMITED, () -> waiting("b"));

        assertThat(admission.release("unknown")).isEmpty();
        assertThat(ids(admission.queued())).containsExactly("b");
    }

    @Test
    void withdrawTakesARunOutOfLineAndKeepsTheOthersInOrder() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"));
        for (String id : List.of("b", "c", "d")) {
            admission.admit(id, "admin", Quota.UNLIMITED, () -> waiting(id));
        }

        assertThat(admission.withdraw("c")).map(w -> w.state().id()).contains("c");
        assertThat(admission.withdraw("c")).isEmpty();
        assertThat(admission.withdraw("a")).as("a running run is not queued").isEmpty();
        assertThat(ids(admission.queued())).containsExactly("b", "d");
        assertThat(ids(admission.release("a"))).containsExactly("b");
    }

    @Test
    void requeuedRunsKeepTheirOrderAndANewRunWaitsBehindThem() {
        Admission admission = new Admission(2, 5);
        admission.requeue(waiting("old-1"), Quota.UNLIMITED);
        admission.requeue(waiting("old-2"), Quota.UNLIMITED);
        admission.requeue(waiting("old-3"), Quota.UNLIMITED);

        // Slots are free, but runs are waiting: a newcomer does not overtake them.
        assertThat(admission.admit("new", "admin", Quota.UNLIMITED, () -> waiting("new"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.fill())).containsExactly("old-1", "old-2");
        assertThat(ids(admission.queued())).containsExactly("old-3", "new");
    }

    @Test
    void anOccupiedSlotCountsLikeAnAdmittedOne() {
        Admission admission = new Admission(1, 5);
        admission.occupy("reattached", "admin");

        assertThat(admission.admit("a", "admin", Quota.UNLIMITED, () -> waiting("a"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.release("reattached"))).containsExactly("a");
    }

    @Test
    void refusesANonPositiveSlotCountOrANegativeQueue() {
        assertThatThrownBy(() -> new Admission(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent must be >= 1 and maxQueue >= 0");
        assertThatThrownBy(() -> new Admission(1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent must be >= 1 and maxQueue >= 0");
    }

    @Test
    void aBurstOfOneTenantDelaysAnotherTenantsRunOnlyByTheRunHoldingTheSlot() {
        Admission admission = new Admission(1, 100);
        for (int i = 1; i <= 10; i++) {
            admit(admission, "a-" + i, Quota.UNLIMITED);
        }
        assertThat(admit(admission, "b-1", Quota.UNLIMITED)).isEqualTo(Admission.Decision.QUEUE);

        // a had its turn with a-1 (it took the free slot directly): b, never served, goes next.
        assertThat(ids(admission.release("a-1"))).containsExactly("b-1");
        assertThat(ids(admission.release("b-1"))).containsExactly("a-2");
        assertThat(ids(admission.release("a-2"))).containsExactly("a-3");
    }

    @Test
    void aTenantAtItsOwnCapQueuesWhileTheFreeSlotStaysForAnother() {
        Admission admission = new Admission(2, 100);

        assertThat(admit(admission, "a-1", ONE_AT_A_TIME)).isEqualTo(Admission.Decision.START);
        assertThat(admit(admission, "a-2", ONE_AT_A_TIME)).isEqualTo(Admission.Decision.QUEUE);
        assertThat(admission.fill()).as("the free slot is not a-2's to take").isEmpty();
        assertThat(admit(admission, "b-1", Quota.UNLIMITED)).isEqualTo(Admission.Decision.START);

        assertThat(admission.release("b-1")).as("a is still at its cap").isEmpty();
        assertThat(ids(admission.release("a-1"))).containsExactly("a-2");
    }

    @Test
    void aNewcomerDoesNotOvertakeAWaitingRunThatCouldStart() {
        Admission admission = new Admission(2, 100);
        admission.requeue(waiting("a-1", "a"), ONE_AT_A_TIME);
        admission.requeue(waiting("a-2", "a"), ONE_AT_A_TIME);

        // a-1 could take a slot (a holds none): b waits for its turn; a-2 cannot (a's cap), so b goes next.
        assertThat(admit(admission, "b-1", Quota.UNLIMITED)).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.fill())).containsExactly("a-1", "b-1");
    }

    @Test
    void freeSlotsGoRoundRobinAmongThreeTenantsFifoWithinEach() {
        Admission admission = new Admission(1, 100);
        admit(admission, "x-0", Quota.UNLIMITED);
        for (String id : List.of("a-1", "a-2", "a-3", "b-1", "b-2", "c-1", "a-4", "c-2")) {
            assertThat(admit(admission, id, Quota.UNLIMITED)).isEqualTo(Admission.Decision.QUEUE);
        }

        List<String> order = new ArrayList<>();
        String running = "x-0";
        for (int i = 0; i < 8; i++) {
            running = ids(admission.release(running)).getFirst();
            order.add(running);
        }

        assertThat(order).containsExactly("a-1", "b-1", "c-1", "a-2", "b-2", "c-2", "a-3", "a-4");
        assertThat(admission.release(running)).isEmpty();
        assertThat(admission.queueLength()).isZero();
    }

    @Test
    void aTenantWithItsMaxQueuedWaitingIsRefusedWhileOthersStillQueue() {
        Quota twoQueued = new Quota(null, 2, null, null, null, null, null);
        Admission admission = new Admission(1, 100);
        admit(admission, "a-1", twoQueued);
        admit(admission, "a-2", twoQueued);
        admit(admission, "a-3", twoQueued);

        assertThat(admit(admission, "a-4", twoQueued)).isEqualTo(Admission.Decision.REFUSE_TENANT_QUEUE);
        assertThat(admit(admission, "b-1", twoQueued)).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.queued())).containsExactly("a-2", "a-3", "b-1");

        assertThat(ids(admission.release("a-1"))).as("b, not served yet, goes first").containsExactly("b-1");
        assertThat(admit(admission, "a-4", twoQueued)).as("a still has two waiting")
                .isEqualTo(Admission.Decision.REFUSE_TENANT_QUEUE);
        assertThat(ids(admission.release("b-1"))).containsExactly("a-2");
        assertThat(admit(admission, "a-4", twoQueued)).as("a has one waiting again").isEqualTo(Admission.Decision.QUEUE);
    }

    @Test
    void aMaxQueuedOfZeroRefusesARunThatCannotStart() {
        Quota noQueue = new Quota(1, 0, null, null, null, null, null);
        Admission admission = new Admission(4, 100);
        admit(admission, "a-1", noQueue);

        assertThat(admit(admission, "a-2", noQueue)).isEqualTo(Admission.Decision.REFUSE_TENANT_QUEUE);
        assertThat(admission.queueLength()).isZero();
    }

    @Test
    void theServersQueueBoundsTheWaitingOfAllTenantsTogether() {
        Admission admission = new Admission(1, 2);
        admit(admission, "a-1", Quota.UNLIMITED);
        admit(admission, "a-2", Quota.UNLIMITED);
        admit(admission, "b-1", Quota.UNLIMITED);

        assertThat(admit(admission, "c-1", Quota.UNLIMITED)).isEqualTo(Admission.Decision.REFUSE);
    }

    @Test
    void withdrawOfATenantsLastWaitingRunTakesItOutOfTheRing() {
        Admission admission = new Admission(1, 100);
        admit(admission, "a-1", Quota.UNLIMITED);
        admit(admission, "a-2", Quota.UNLIMITED);
        admit(admission, "b-1", Quota.UNLIMITED);
        admit(admission, "a-3", Quota.UNLIMITED);

        assertThat(admission.withdraw("b-1")).map(w -> w.state().id()).contains("b-1");
        assertThat(admission.withdraw("a-2")).map(w -> w.state().id()).contains("a-2");

        assertThat(ids(admission.queued())).containsExactly("a-3");
        assertThat(ids(admission.release("a-1"))).containsExactly("a-3");
    }

    @Test
    void requeuedRunsKeepEachTenantsOrderAndTakeTurns() {
        Admission admission = new Admission(1, 100);
        for (String id : List.of("a-1", "a-2", "b-1", "a-3", "b-2")) {
            admission.requeue(waiting(id, id.substring(0, 1)), Quota.UNLIMITED);
        }
        admission.requeue(waiting("null-1", null), Quota.UNLIMITED);

        List<String> order = new ArrayList<>(ids(admission.fill()));
        for (int i = 0; i < 5; i++) {
            order.addAll(ids(admission.release(order.getLast())));
        }

        assertThat(order).containsExactly("a-1", "b-1", "null-1", "a-2", "b-2", "a-3");
    }

    @Test
    void reattachedRunsCountAgainstTheirTenantsCap() {
        Admission admission = new Admission(3, 100);
        admission.occupy("a-0", "a");

        assertThat(admit(admission, "a-1", ONE_AT_A_TIME)).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.release("a-0"))).containsExactly("a-1");
    }

    @Test
    void freeHandsNoSlotOut() {
        Admission admission = new Admission(1, 100);
        admit(admission, "a-1", Quota.UNLIMITED);
        admit(admission, "a-2", Quota.UNLIMITED);

        admission.free("a-1");

        assertThat(ids(admission.queued())).containsExactly("a-2");
        assertThat(ids(admission.fill())).containsExactly("a-2");
    }
}
