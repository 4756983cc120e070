package dev.lightrun.server.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code process_memory_rss_bytes}: the resident set of this process from {@code /proc/self/status} (VmRSS), what
 * the kernel and a container's memory limit count, which the JVM's own heap gauges do not show. NaN where there is no
 * {@code /proc} (not Linux).
 */
final class ProcessMemory implements MeterBinder {
    private static final Path STATUS = Path.of("/proc/self/status");

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("process.memory.rss", ProcessMemory::rssBytes).baseUnit("bytes")
                .description("Resident set size of the process (VmRSS)").register(registry);
    }

    static double rssBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    // "VmRSS:     123456 kB"
                    return Long.parseLong(line.substring("VmRSS:".length()).replace("kB", "").trim()) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: no value rather than a wrong one
        }
        return Double.NaN;
    }
}
