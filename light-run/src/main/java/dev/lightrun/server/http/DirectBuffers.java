package dev.lightrun.server.http;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers for file downloads, reused. A download takes one, fills it from the file and hands it to Jetty, which
 * writes it to the socket as it is: no copy through the heap on either side. Memory is one buffer per download in
 * progress; at most {@code retained} idle ones are kept, so a burst of downloads does not leave native memory behind.
 * Thread-safe.
 */
final class DirectBuffers {
    private final int capacity;
    private final ArrayBlockingQueue<ByteBuffer> idle;

    DirectBuffers(int capacity, int retained) {
        if (capacity <= 0 || retained <= 0) {
            throw new IllegalArgumentException("capacity and retained must be positive, were " + capacity + " and "
                    + retained);
        }
        this.capacity = capacity;
        this.idle = new ArrayBlockingQueue<>(retained);
    }

    /** An empty buffer of {@code capacity} bytes, owned by the caller until {@link #giveBack}. */
    ByteBuffer take() {
        ByteBuffer buffer = idle.poll();
        return buffer != null ? buffer.clear() : ByteBuffer.allocateDirect(capacity);
    }

    /** Only for a buffer no one else still reads: kept when there is room, else left to the garbage collector. */
    void giveBack(ByteBuffer buffer) {
        idle.offer(buffer.clear());
    }
}
