package dev.lightrun.server.runs;

import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.RunState;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The concurrency cap and a queue that is fair per tenant. At most {@code maxConcurrent} runs hold a slot, and at
 * most a tenant's own {@link Quota#maxConcurrent()} of them are one tenant's (the owner of a run is its tenant; runs
 * without an owner form one tenant of their own). Up to {@code maxQueue} runs wait in all, and at most a tenant's
 * {@link Quota#maxQueued()} of them are one tenant's; beyond either a run is refused.
 *
 * <p>Each tenant waits in its own FIFO line; the tenants with someone waiting form a ring. A free slot goes to the
 * tenant in the ring that is under its own {@code maxConcurrent} and was served least recently (ties: ring order);
 * that tenant then moves to the ring's end. So one tenant's burst of a hundred runs delays another tenant's single
 * run by at most the runs already holding slots, and a
 * tenant at its own cap never holds a slot that another could use. A new run starts at once only when nobody who
 * could use a free slot is waiting (a newcomer never overtakes a run that could start).
 *
 * <p>Thread-safe; holds no I/O under its lock except the caller's {@code waiting} supplier (see {@link #admit}).
 */
final class Admission {
    /** A queued run and the request it will start with; its tenant is {@code state.owner()}. */
    record Waiting(RunState state, RunRequest request) {
    }

    /** What happens to a new run. */
    enum Decision {
        START,
        QUEUE,
        /** The server's queue ({@code maxQueue}) is full. */
        REFUSE,
        /** The tenant already has its {@link Quota#maxQueued()} runs waiting. */
        REFUSE_TENANT_QUEUE
    }

    /** One tenant: its line, how many slots it holds, and its own cap (null: only the server's). */
    private static final class Tenant {
        final String owner;
        final ArrayDeque<Entry> waiting = new ArrayDeque<>();
        int running;
        Integer maxConcurrent;
        /** When this tenant last got a slot (a sequence number; 0: not since it was last idle). */
        long lastServed;

        Tenant(String owner) {
            this.owner = owner;
        }

        boolean atCap() {
            return maxConcurrent != null && running >= maxConcurrent;
        }
    }

    /** A waiting run and its place in arrival order (for {@link #queued()}). */
    private record Entry(long arrival, Waiting waiting) {
    }

    private final int maxConcurrent;
    private final int maxQueue;
    private final Consumer<String> onTaken;
    private final ReentrantLock lock = new ReentrantLock();
    /** Tenants with a slot or a waiting run; a HashMap, so the owner-less tenant's key is null. */
    private final Map<String, Tenant> tenants = new HashMap<>();
    /** Run id to the tenant whose slot it holds. */
    private final Map<String, Tenant> slots = new HashMap<>();
    /** Tenants with at least one waiting run, in turn order. */
    private final ArrayDeque<Tenant> ring = new ArrayDeque<>();
    private int waitingCount;
    private long arrivals;
    /** Slots handed out so far: the clock of {@link Tenant#lastServed}. */
    private long served;

    Admission(int maxConcurrent, int maxQueue) {
        this(maxConcurrent, maxQueue, id -> { });
    }

    /**
     * @param onTaken told, under the lock, of each queued run's id as it is handed a slot: from then on it is in
     *                neither the queue nor (yet) the runner, and a cancel must still find it (see
     *                {@link LiveRuns#launching})
     */
    Admission(int maxConcurrent, int maxQueue, Consumer<String> onTaken) {
        if (maxConcurrent < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1 and maxQueue >= 0");
        }
        this.maxConcurrent = maxConcurrent;
        this.maxQueue = maxQueue;
        this.onTaken = onTaken;
    }

    /**
     * Takes a slot for {@code id}, or queues it in its tenant's line, or refuses it. {@code waiting} is called (under
     * the lock, so that queue order and the order it records agree) only when the run queues.
     *
     * @param owner the run's tenant (null: the owner-less tenant)
     * @param quota the tenant's limits; its {@code maxConcurrent} also governs the tenant's runs already waiting
     */
    Decision admit(String id, String owner, Quota quota, Supplier<Waiting> waiting) {
        lock.lock();
        try {
            Tenant tenant = tenant(owner);
            tenant.maxConcurrent = quota.maxConcurrent();
            if (slots.size() < maxConcurrent && !tenant.atCap() && tenant.waiting.isEmpty() && !anyoneCouldStart()) {
                take(id, tenant);
                return Decision.START;
            }
            Decision refusal = quota.maxQueued() != null && tenant.waiting.size() >= quota.maxQueued()
                    ? Decision.REFUSE_TENANT_QUEUE
                    : waitingCount >= maxQueue ? Decision.REFUSE : null;
            if (refusal != null) {
                forgetIfIdle(tenant);
                return refusal;
            }
            enqueue(tenant, waiting.get());
            return Decision.QUEUE;
        } finally {
            lock.unlock();
        }
    }

    /** A run that holds a slot without having been admitted here (re-attached at start-up). */
    void occupy(String id, String owner) {
        lock.lock();
        try {
            take(id, tenant(owner));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts a run recorded as queued back in its tenant's line (at start-up, in the stored order, so each tenant's
     * runs keep theirs). Neither queue bound applies: the run was accepted before.
     */
    void requeue(Waiting waiting, Quota quota) {
        lock.lock();
        try {
            Tenant tenant = tenant(waiting.state().owner());
            tenant.maxConcurrent = quota.maxConcurrent();
            enqueue(tenant, waiting);
        } finally {
            lock.unlock();
        }
    }

    /** Frees {@code id}'s slot (if it held one) and hands free slots out (see {@link #fill()}); returns the runs to start now. */
    List<Waiting> release(String id) {
        lock.lock();
        try {
            free(id);
            return fill();
        } finally {
            lock.unlock();
        }
    }

    /** Frees {@code id}'s slot (if it held one) without handing it out: at shutdown, waiting runs stay in line. */
    void free(String id) {
        lock.lock();
        try {
            Tenant tenant = slots.remove(id);
            if (tenant != null) {
                tenant.running--;
                forgetIfIdle(tenant);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Hands each free slot to the head of the line of the first tenant in the ring that is under its own cap, and
     * moves that tenant to the ring's end; used after requeueing at start-up too. Returns the runs to start now.
     */
    List<Waiting> fill() {
        lock.lock();
        try {
            List<Waiting> start = new ArrayList<>();
            while (slots.size() < maxConcurrent) {
                Tenant next = nextTurn();
                if (next == null) {
                    break;
                }
                Waiting waiting = next.waiting.pollFirst().waiting();
                waitingCount--;
                if (!next.waiting.isEmpty()) {
                    ring.addLast(next);
                }
                take(waiting.state().id(), next);
                onTaken.accept(waiting.state().id());
                start.add(waiting);
            }
            return start;
        } finally {
            lock.unlock();
        }
    }

    /** Takes a queued run out of line; empty when it is not queued (any more). */
    Optional<Waiting> withdraw(String id) {
        lock.lock();
        try {
            for (Tenant tenant : ring) {
                for (Iterator<Entry> it = tenant.waiting.iterator(); it.hasNext(); ) {
                    Waiting waiting = it.next().waiting();
                    if (waiting.state().id().equals(id)) {
                        it.remove();
                        waitingCount--;
                        if (tenant.waiting.isEmpty()) {
                            ring.remove(tenant);
                            forgetIfIdle(tenant);
                        }
                        return Optional.of(waiting);
                    }
                }
            }
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** Every waiting run, in the order they arrived (not the order they will start in). */
    List<Waiting> queued() {
        lock.lock();
        try {
            return ring.stream().flatMap(t -> t.waiting.stream()).sorted(Comparator.comparingLong(Entry::arrival))
                    .map(Entry::waiting).toList();
        } finally {
            lock.unlock();
        }
    }

    int queueLength() {
        lock.lock();
        try {
            return waitingCount;
        } finally {
            lock.unlock();
        }
    }

    private Tenant tenant(String owner) {
        return tenants.computeIfAbsent(owner, Tenant::new);
    }

    /** Whether a waiting run could take a free slot now (so a newcomer must not take it first). */
    private boolean anyoneCouldStart() {
        return ring.stream().anyMatch(t -> !t.atCap());
    }

    /** Takes the first tenant in the ring that is under its cap out of the ring; null when none is. */
    private Tenant nextTurn() {
        Tenant next = null;
        for (Tenant tenant : ring) {
            // Least recently served first (ties: ring order). A tenant whose first run took a free slot directly has
            // had its turn: a tenant that queues behind it goes before its second run.
            if (!tenant.atCap() && (next == null || tenant.lastServed < next.lastServed)) {
                next = tenant;
            }
        }
        if (next != null) {
            ring.remove(next);
        }
        return next;
    }

    private void take(String id, Tenant tenant) {
        if (slots.put(id, tenant) == null) {
            tenant.running++;
            tenant.lastServed = ++served;
        }
    }

    private void enqueue(Tenant tenant, Waiting waiting) {
        if (tenant.waiting.isEmpty()) {
            ring.addLast(tenant);
        }
        tenant.waiting.addLast(new Entry(arrivals++, waiting));
        waitingCount++;
    }

    /** Drops a tenant holding nothing, so the map only ever holds tenants with runs (its cap is set again on admit). */
    private void forgetIfIdle(Tenant tenant) {
        if (tenant.running == 0 && tenant.waiting.isEmpty()) {
            tenants.remove(tenant.owner);
        }
    }
}
