package dev.lightrun.server.runs;

import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunPlan;
import dev.lightrun.server.model.RunState;
import dev.lightrun.server.store.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * This replica's side of the queue replicas share ({@link Cluster}): a run is admitted into the database's queue, and
 * one claimer thread takes the next eligible run whenever this replica has a free slot, woken by a run queued here, a
 * signal from another replica, a slot freed here, and at least every {@link #POLL} (a signal can be missed). The order
 * (per owner least recently served, FIFO within, owners at their {@code maxConcurrent} skipped) is the claim's, in the
 * database, so it holds across replicas. Each claimed run is started on a thread of its own.
 */
final class SharedQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SharedQueue.class);
    static final Duration POLL = Duration.ofSeconds(1);

    private final Cluster cluster;
    private final int slots;
    private final int maxQueue;
    private final Function<String, Quota> quotas;
    private final Consumer<Cluster.Claimed> starter;
    private final Consumer<String> onClaimed;
    /** Runs holding one of this replica's slots: claimed here, or re-attached at start-up. */
    private final Set<String> holding = ConcurrentHashMap.newKeySet();
    private final Object wake = new Object();
    private final ExecutorService starts = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("claimed-run-start-", 0).factory());
    private boolean woken;
    private volatile boolean stopped;
    private Thread claimer;

    /**
     * @param slots   this replica's concurrency cap
     * @param quotas  an owner's quota (its {@code maxConcurrent} counts across every replica)
     * @param starter starts a claimed run (already recorded running here)
     */
    SharedQueue(Cluster cluster, int slots, int maxQueue, Function<String, Quota> quotas,
                Consumer<Cluster.Claimed> starter) {
        this(cluster, slots, maxQueue, quotas, id -> { }, starter);
    }

    /**
     * @param onClaimed told of a claimed run's id on the claimer's thread, before {@code starter} gets it on another:
     *                  the run is then recorded running here but not yet handed to the runner, and a cancel must
     *                  still find it (see {@link LiveRuns#launching})
     */
    SharedQueue(Cluster cluster, int slots, int maxQueue, Function<String, Quota> quotas, Consumer<String> onClaimed,
                Consumer<Cluster.Claimed> starter) {
        this.onClaimed = onClaimed;
        this.cluster = cluster;
        this.slots = slots;
        this.maxQueue = maxQueue;
        this.quotas = quotas;
        this.starter = starter;
    }

    /** Records a queued run in the shared queue (or says why not) and wakes the claimer. */
    Cluster.Enqueued enqueue(RunState queued, RunPlan plan, byte[] request, Quota quota) {
        Cluster.Enqueued result = cluster.enqueue(queued, plan, request, maxQueue, quota.maxQueued());
        if (result == Cluster.Enqueued.QUEUED) {
            wake();
        }
        return result;
    }

    /** Starts claiming (after recovery re-attached this replica's runs, so they hold their slots first). */
    synchronized void start() {
        if (claimer == null) {
            claimer = Thread.ofPlatform().daemon().name("light-run-claimer").start(this::claimLoop);
        }
    }

    /** A run re-attached at start-up holds a slot again. */
    void occupy(String id) {
        holding.add(id);
    }

    /** A run of this replica ended: its slot is free for the next claim. */
    void release(String id) {
        if (holding.remove(id)) {
            wake();
        }
    }

    /** Runs holding this replica's slots. */
    int held() {
        return holding.size();
    }

    int slots() {
        return slots;
    }

    /** Runs waiting in the shared queue (every replica's). */
    int length() {
        return cluster.queueLength();
    }

    /** Claims now (a run was queued, a slot freed, or another replica signalled). */
    void wake() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    private void claimLoop() {
        while (!stopped) {
            synchronized (wake) {
                if (!woken) {
                    try {
                        wake.wait(POLL.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
            try {
                claimWhileFree();
            } catch (RuntimeException e) {
                log.warn("queue - claiming failed: {}", e.getMessage());
            }
        }
    }

    /** Only this thread adds to {@link #holding}, so a slot seen free stays free until it is claimed. */
    private void claimWhileFree() {
        while (!stopped && holding.size() < slots) {
            var claimed = cluster.claim(owner -> quotas.apply(owner).maxConcurrent());
            if (claimed.isEmpty()) {
                return;
            }
            holding.add(claimed.get().running().id());
            onClaimed.accept(claimed.get().running().id());
            starts.execute(() -> starter.accept(claimed.get()));
        }
    }

    /** Stops claiming; runs already claimed go on starting. */
    @Override
    public void close() {
        stopped = true;
        wake();
        Thread thread;
        synchronized (this) {
            thread = claimer;
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        starts.close();
    }
}
