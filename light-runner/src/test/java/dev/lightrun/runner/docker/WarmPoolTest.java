package dev.lightrun.runner.docker;

import dev.lightrun.runner.PoolProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's bookkeeping without Docker: a direct executor makes each refill happen inside the call that starts it. */
class WarmPoolTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    static final class Fake implements WarmPool.Member {
        final AtomicBoolean exited = new AtomicBoolean();

        @Override
        public boolean exited() {
            return exited.get();
        }
    }

    static final class FakeFactory implements WarmPool.Factory<Fake> {
        final AtomicInteger created = new AtomicInteger();
        final List<Fake> destroyed = new ArrayList<>();
        volatile boolean failing;

        @Override
        public Fake create() {
            if (failing) {
                throw new IllegalStateException("image missing");
            }
            created.incrementAndGet();
            return new Fake();
        }

        @Override
        public synchronized void destroy(Fake member) {
            destroyed.add(member);
        }
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private WarmPool<Fake> pool(FakeFactory factory, int size, Duration backoff) {
        return new WarmPool<>(PoolProfile.of("busybox", size), factory, Runnable::run, scheduler, backoff);
    }

    @Test
    void fillsToItsSizeAndNeverBeyond() {
        FakeFactory factory = new FakeFactory();
        WarmPool<Fake> pool = pool(factory, 3, Duration.ofSeconds(5));

        pool.refill();
        pool.refill();

        assertThat(factory.created).hasValue(3);
        assertThat(pool.stats().idle()).isEqualTo(3);
        assertThat(pool.stats().state()).isEqualTo("ready");
    }

    @Test
    void eachTakeCountsAHitAndIsReplacedSoAliveIsAtMostSizePlusTaken() {
        FakeFactory factory = new FakeFactory();
        WarmPool<Fake> pool = pool(factory, 2, Duration.ofSeconds(5));
        pool.refill();

        List<Fake> taken = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            taken.add(pool.take());
            int alive = factory.created.get() - factory.destroyed.size();
            assertThat(alive).isLessThanOrEqualTo(2 + taken.size());
        }

        assertThat(taken).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(pool.stats().hits()).isEqualTo(5);
        assertThat(pool.stats().misses()).isZero();
        assertThat(pool.stats().idle()).isEqualTo(2);
    }

    @Test
    void anEmptyPoolIsAMissAndAnExitedMemberIsNeverHandedOut() {
        FakeFactory factory = new FakeFactory();
        WarmPool<Fake> pool = pool(factory, 1, Duration.ofSeconds(5));
        assertThat(pool.take()).as("nothing made yet").isNull();
        assertThat(pool.stats().misses()).isEqualTo(1);

        Fake idle = pool.idleMembers().getFirst();
        idle.exited.set(true);
        Fake taken = pool.take();

        assertThat(taken).isNotSameAs(idle).isNull();
        assertThat(factory.destroyed).containsExactly(idle);
        assertThat(pool.stats().misses()).isEqualTo(2);
        assertThat(pool.stats().idle()).as("refilled").isEqualTo(1);
    }

    @Test
    void aFailedRefillPausesTheRefillsThenRetries() throws Exception {
        FakeFactory factory = new FakeFactory();
        factory.failing = true;
        WarmPool<Fake> pool = pool(factory, 2, Duration.ofMillis(200));

        pool.refill();
        pool.refill();
        assertThat(pool.stats().failures()).as("two creations started, then the pause").isEqualTo(2);
        assertThat(pool.stats().state()).isEqualTo("retrying after a failed refill");

        factory.failing = false;
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> pool.stats().idle() == 2);
        assertThat(pool.stats().state()).isEqualTo("ready");
    }

    @Test
    void closeHandsBackTheIdleAndStopsRefilling() {
        FakeFactory factory = new FakeFactory();
        WarmPool<Fake> pool = pool(factory, 2, Duration.ofSeconds(5));
        pool.refill();

        assertThat(pool.close()).hasSize(2);
        assertThat(pool.take()).isNull();
        pool.refill();
        assertThat(factory.created).hasValue(2);
        assertThat(pool.stats().state()).isEqualTo("closed");
    }

    @Test
    void anIdleMemberThatExitsIsReplaced() {
        FakeFactory factory = new FakeFactory();
        WarmPool<Fake> pool = pool(factory, 1, Duration.ofSeconds(5));
        pool.refill();
        Fake idle = pool.idleMembers().getFirst();

        idle.exited.set(true);
        pool.exitedWhileIdle(idle);

        assertThat(factory.destroyed).containsExactly(idle);
        assertThat(pool.idleMembers()).hasSize(1).doesNotContain(idle);
    }
}
