package dev.lightrun.runner.docker;

import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.PoolStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bookkeeping of one warm pool: which started containers wait, how many are being made, and when to make more.
 * Knows nothing of Docker: its {@link Factory} creates and destroys the members. Bounded: idle plus being-made never
 * exceeds the size, so the pool's containers alive at any time are at most its size plus the runs that took one and
 * have not finished. A failed refill pauses the refills for {@code backoff}, so a missing image costs one attempt per
 * pause, not a loop. Thread-safe; the lock is never held across a call to the factory.
 */
final class WarmPool<C extends WarmPool.Member> {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** A pooled container as the pool sees it. */
    interface Member {
        /** True once it has exited (or its wait failed): it can serve no run. */
        boolean exited();
    }

    /** Makes and destroys members; called outside the pool's lock, on the refill executor. */
    interface Factory<C> {
        /** A started member, ready to be claimed; throws when it cannot be made. */
        C create();

        /** Removes a member and what it owns; never throws. */
        void destroy(C member);
    }

    private final PoolProfile profile;
    private final Factory<C> factory;
    private final Executor executor;
    private final ScheduledExecutorService scheduler;
    private final Duration backoff;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<C> idle = new ArrayDeque<>();
    private int creating;
    private long hits;
    private long misses;
    private long failures;
    private Duration lastRefill = Duration.ZERO;
    private boolean pausedAfterFailure;
    private boolean closed;
    private String disabled;

    WarmPool(PoolProfile profile, Factory<C> factory, Executor executor, ScheduledExecutorService scheduler,
             Duration backoff) {
        this.profile = profile;
        this.factory = factory;
        this.executor = executor;
        this.scheduler = scheduler;
        this.backoff = backoff;
    }

    PoolProfile profile() {
        return profile;
    }

    /**
     * Takes an idle member for a run (counted as a hit), or null when none waits (a miss); starts the refill either
     * way. Members found exited on the way are destroyed, not handed out.
     */
    C take() {
        List<C> dead = new ArrayList<>();
        C taken = null;
        lock.lock();
        try {
            if (closed || disabled != null) {
                return null;
            }
            while (taken == null && !idle.isEmpty()) {
                C next = idle.poll();
                if (next.exited()) {
                    dead.add(next);
                } else {
                    taken = next;
                }
            }
            if (taken == null) {
                misses++;
            } else {
                hits++;
            }
        } finally {
            lock.unlock();
        }
        dead.forEach(this::destroyLater);
        refill();
        return taken;
    }

    /** Starts as many creations as the pool lacks (none while closed, disabled or pausing after a failure). */
    void refill() {
        int toCreate;
        lock.lock();
        try {
            if (closed || disabled != null || pausedAfterFailure) {
                return;
            }
            toCreate = profile.size() - idle.size() - creating;
            if (toCreate <= 0) {
                return;
            }
            creating += toCreate;
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < toCreate; i++) {
            executor.execute(this::createOne);
        }
    }

    private void createOne() {
        long started = System.nanoTime();
        C made;
        try {
            made = factory.create();
        } catch (RuntimeException e) {
            boolean pause;
            lock.lock();
            try {
                creating--;
                failures++;
                pause = !pausedAfterFailure && !closed;
                pausedAfterFailure = true;
            } finally {
                lock.unlock();
            }
            if (pause) {
                log.warn("pool {} - refill failed, retrying in {}: {}", profile.image(), RunControl.describe(backoff),
                        e.getMessage());
                scheduler.schedule(this::resumeAfterFailure, backoff.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        boolean keep;
        lock.lock();
        try {
            creating--;
            keep = !closed && disabled == null;
            if (keep) {
                idle.add(made);
                lastRefill = Duration.ofNanos(System.nanoTime() - started);
            }
        } finally {
            lock.unlock();
        }
        if (!keep) {
            factory.destroy(made);
        }
    }

    private void resumeAfterFailure() {
        lock.lock();
        try {
            pausedAfterFailure = false;
        } finally {
            lock.unlock();
        }
        executor.execute(this::refill);
    }

    /** A member exited while waiting (killed from outside, the daemon restarted): drop it and make another. */
    boolean exitedWhileIdle(C member) {
        boolean removed;
        lock.lock();
        try {
            removed = idle.remove(member);
        } finally {
            lock.unlock();
        }
        if (removed) {
            destroyLater(member);
            refill();
        }
        return removed;
    }

    private void destroyLater(C member) {
        executor.execute(() -> factory.destroy(member));
    }

    /** The pool will not serve runs, and says why in its stats. */
    void disable(String why) {
        List<C> drained = drain(false, why);
        drained.forEach(factory::destroy);
    }

    /** Stops refilling and hands back the idle members for the caller to destroy. */
    List<C> close() {
        return drain(true, null);
    }

    private List<C> drain(boolean close, String why) {
        lock.lock();
        try {
            if (close) {
                closed = true;
            } else {
                disabled = why;
            }
            List<C> drained = new ArrayList<>(idle);
            idle.clear();
            return drained;
        } finally {
            lock.unlock();
        }
    }

    /** The members waiting now (for the reaper: they are tracked). */
    List<C> idleMembers() {
        lock.lock();
        try {
            return List.copyOf(idle);
        } finally {
            lock.unlock();
        }
    }

    PoolStats stats() {
        lock.lock();
        try {
            String state = closed ? "closed" : disabled != null ? "disabled: " + disabled
                    : pausedAfterFailure ? "retrying after a failed refill"
                    : idle.size() == profile.size() ? "ready" : "filling";
            return new PoolStats(profile, idle.size(), creating, hits, misses, failures, lastRefill, state);
        } finally {
            lock.unlock();
        }
    }
}
