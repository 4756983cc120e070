package dev.lightrun.server.runs;

import dev.lightrun.server.model.RunState;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The concurrency cap and its FIFO queue: at most {@code maxConcurrent} runs hold a slot; up to {@code maxQueue}
 * more wait in order; beyond that a run is refused. Thread-safe; holds no I/O under its lock.
 */
final class Admission {
    /** A queued run and the request it will start with. */
    record Waiting(RunState state, RunRequest request) {
    }

    /** What happens to a new run. */
    enum Decision { START, QUEUE, REFUSE }

    private final int maxConcurrent;
    private final int maxQueue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<String> slots = new HashSet<>();
    private final ArrayDeque<Waiting> queue = new ArrayDeque<>();

    Admission(int maxConcurrent, int maxQueue) {
        if (maxConcurrent < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1 and maxQueue >= 0");
        }
        this.maxConcurrent = maxConcurrent;
        this.maxQueue = maxQueue;
    }

    /** Takes a slot for {@code id}, or queues it (through {@code waiting}), or refuses it. */
    Decision admit(String id, Supplier<Waiting> waiting) {
        lock.lock();
        try {
            if (slots.size() < maxConcurrent && queue.isEmpty()) {
                slots.add(id);
                return Decision.START;
            }
            if (queue.size() < maxQueue) {
                queue.addLast(waiting.get());
                return Decision.QUEUE;
            }
            return Decision.REFUSE;
        } finally {
            lock.unlock();
        }
    }

    /** A run that holds a slot without having been admitted here (re-attached at start-up). */
    void occupy(String id) {
        lock.lock();
        try {
            slots.add(id);
        } finally {
            lock.unlock();
        }
    }

    /** Puts a run recorded as queued back in line (at start-up, in the stored order). */
    void requeue(Waiting waiting) {
        lock.lock();
        try {
            queue.addLast(waiting);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Frees {@code id}'s slot (if it held one) and hands free slots to the head of the queue. Returns the runs to
     * start now.
     */
    List<Waiting> release(String id) {
        lock.lock();
        try {
            slots.remove(id);
            return fill();
        } finally {
            lock.unlock();
        }
    }

    /** Hands free slots to the queue's head; used after requeueing at start-up too. */
    List<Waiting> fill() {
        lock.lock();
        try {
            List<Waiting> start = new ArrayList<>();
            while (slots.size() < maxConcurrent && !queue.isEmpty()) {
                Waiting next = queue.pollFirst();
                slots.add(next.state().id());
                start.add(next);
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
            for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
                Waiting waiting = it.next();
                if (waiting.state().id().equals(id)) {
                    it.remove();
                    return Optional.of(waiting);
                }
            }
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    List<Waiting> queued() {
        lock.lock();
        try {
            return List.copyOf(queue);
        } finally {
            lock.unlock();
        }
    }

    int queueLength() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }
}
