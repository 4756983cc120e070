package dev.lightrun.runner.docker;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the last {@code capacity} bytes written to it (a ring), so a log flood costs a fixed amount of memory and the
 * end of the output, where errors usually are, survives.
 */
final class TailBuffer {
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private long written;

    TailBuffer(long capacity) {
        this.ring = new byte[(int) Math.min(capacity, Integer.MAX_VALUE - 8)];
    }

    void append(byte[] chunk) {
        lock.lock();
        try {
            int capacity = ring.length;
            if (capacity == 0) {
                written += chunk.length;
                return;
            }
            int from = Math.max(0, chunk.length - capacity);
            for (int i = from; i < chunk.length; ) {
                int pos = (int) ((written + i) % capacity);
                int n = Math.min(chunk.length - i, capacity - pos);
                System.arraycopy(chunk, i, ring, pos, n);
                i += n;
            }
            written += chunk.length;
        } finally {
            lock.unlock();
        }
    }

    boolean truncated() {
        lock.lock();
        try {
            return written > ring.length;
        } finally {
            lock.unlock();
        }
    }

    String text() {
        lock.lock();
        try {
            int capacity = ring.length;
            if (written <= capacity) {
                return new String(ring, 0, (int) written, StandardCharsets.UTF_8);
            }
            if (capacity == 0) {
                return "";
            }
            int start = (int) (written % capacity);
            byte[] ordered = new byte[capacity];
            System.arraycopy(ring, start, ordered, 0, capacity - start);
            System.arraycopy(ring, 0, ordered, capacity - start, start);
            return new String(ordered, StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }
}
