package dev.lightrun.server.artifacts;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Each finished run's artifact bytes and their total, kept as runs finish and are deleted, so that eviction never
 * scans a folder or a bucket. Thread-safe.
 */
public final class RunSizes {
    private final ConcurrentHashMap<String, Long> sizes = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();

    public void record(String runId, long bytes) {
        Long previous = sizes.put(runId, bytes);
        total.addAndGet(bytes - (previous == null ? 0 : previous));
    }

    public void remove(String runId) {
        Long size = sizes.remove(runId);
        if (size != null) {
            total.addAndGet(-size);
        }
    }

    public long total() {
        return total.get();
    }

    /** Run ids are time-ordered, so sorting them is oldest first. */
    public List<String> oldestFirst() {
        return sizes.keySet().stream().sorted().toList();
    }
}
