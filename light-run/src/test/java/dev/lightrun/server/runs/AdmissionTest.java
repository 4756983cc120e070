package dev.lightrun.server.runs;

import dev.lightrun.server.model.RunState;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The concurrency cap and its FIFO queue, on their own. */
class AdmissionTest {

    private static Admission.Waiting waiting(String id) {
        return new Admission.Waiting(RunState.queued(id, "alpine:3", "admin", false, Instant.EPOCH), null);
    }

    private static List<String> ids(List<Admission.Waiting> waiting) {
        return waiting.stream().map(w -> w.state().id()).toList();
    }

    @Test
    void startsUpToTheSlotsThenQueuesThenRefuses() {
        Admission admission = new Admission(2, 1);

        assertThat(admission.admit("a", () -> waiting("a"))).isEqualTo(Admission.Decision.START);
        assertThat(admission.admit("b", () -> waiting("b"))).isEqualTo(Admission.Decision.START);
        assertThat(admission.admit("c", () -> waiting("c"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(admission.admit("d", () -> waiting("d"))).isEqualTo(Admission.Decision.REFUSE);
        assertThat(ids(admission.queued())).containsExactly("c");
        assertThat(admission.queueLength()).isEqualTo(1);
    }

    @Test
    void asksForTheWaitingEntryOnlyWhenItQueues() {
        Admission admission = new Admission(1, 0);
        AtomicInteger asked = new AtomicInteger();

        admission.admit("a", () -> {
            asked.incrementAndGet();
            return waiting("a");
        });
        admission.admit("b", () -> {
            asked.incrementAndGet();
            return waiting("b");
        });

        // Started and refused runs are not recorded as queued (the supplier is where the service stores them).
        assertThat(asked).hasValue(0);
    }

    @Test
    void aQueueOfZeroRefusesOnceTheSlotsAreTaken() {
        Admission admission = new Admission(1, 0);
        admission.admit("a", () -> waiting("a"));

        assertThat(admission.admit("b", () -> waiting("b"))).isEqualTo(Admission.Decision.REFUSE);
    }

    @Test
    void releaseHandsTheSlotToTheHeadOfTheQueue() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", () -> waiting("a"));
        admission.admit("b", () -> waiting("b"));
        admission.admit("c", () -> waiting("c"));

        assertThat(ids(admission.release("a"))).containsExactly("b");
        assertThat(ids(admission.queued())).containsExactly("c");
        assertThat(ids(admission.release("b"))).containsExactly("c");
        assertThat(admission.release("c")).isEmpty();
        assertThat(admission.admit("d", () -> waiting("d"))).isEqualTo(Admission.Decision.START);
    }

    @Test
    void releaseOfARunWithoutASlotStartsNothingWhileSlotsAreFull() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", () -> waiting("a"));
        admission.admit("b", () -> waiting("b"));

        assertThat(admission.release("unknown")).isEmpty();
        assertThat(ids(admission.queued())).containsExactly("b");
    }

    @Test
    void withdrawTakesARunOutOfLineAndKeepsTheOthersInOrder() {
        Admission admission = new Admission(1, 5);
        admission.admit("a", () -> waiting("a"));
        for (String id : List.of("b", "c", "d")) {
            admission.admit(id, () -> waiting(id));
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
        admission.requeue(waiting("old-1"));
        admission.requeue(waiting("old-2"));
        admission.requeue(waiting("old-3"));

        // Slots are free, but runs are waiting: a newcomer does not overtake them.
        assertThat(admission.admit("new", () -> waiting("new"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.fill())).containsExactly("old-1", "old-2");
        assertThat(ids(admission.queued())).containsExactly("old-3", "new");
    }

    @Test
    void anOccupiedSlotCountsLikeAnAdmittedOne() {
        Admission admission = new Admission(1, 5);
        admission.occupy("reattached");

        assertThat(admission.admit("a", () -> waiting("a"))).isEqualTo(Admission.Decision.QUEUE);
        assertThat(ids(admission.release("reattached"))).containsExactly("a");
    }

    @Test
    void refusesANonPositiveSlotCountOrANegativeQueue() {
        assertThatThrownBy(() -> new Admission(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent must be >= 1 and maxQueue >= 0");
        assertThatThrownBy(() -> new Admission(1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent must be >= 1 and maxQueue >= 0");
    }
}
