package dev.lightrun.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The runs that failed, counted per "scenario / contender", and their messages in order. Thread-safe. */
final class Failures {
    private final Map<String, AtomicInteger> counts = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> messages = Collections.synchronizedList(new ArrayList<>());

    /** Counts a failed run of {@code name} in {@code scenario} and prints it to stderr. */
    void run(String scenario, String name, Exception e) {
        counts.computeIfAbsent(scenario + " / " + name, k -> new AtomicInteger()).incrementAndGet();
        String message = scenario + " / " + name + ": " + e;
        messages.add(message);
        System.err.println("  FAILED " + message);
    }

    /** A message that is no run's failure (the benchmark aborting); not counted. */
    void note(String message) {
        messages.add(message);
    }

    /** "scenario / contender" to the number of its failed runs, in the order they first failed. */
    Map<String, Object> counts() {
        Map<String, Object> m = new LinkedHashMap<>();
        synchronized (counts) {
            counts.forEach((k, v) -> m.put(k, v.get()));
        }
        return m;
    }

    /** The first {@code n} messages. */
    List<String> first(int n) {
        synchronized (messages) {
            return List.copyOf(messages.subList(0, Math.min(n, messages.size())));
        }
    }
}
