package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the scenarios share once the benchmark's server is up: where they print, the results they add their section
 * to, the failures they count, the servers clean-up will stop, and the ways of running contenders (interleaved one
 * run at a time, or in batches on several threads). {@code results} is written by one scenario at a time.
 *
 * @param server the server every scenario measures; a run is not tried once it has exited on its own
 */
record BenchContext(PrintStream out, Map<String, Object> results, Failures failures, Servers servers,
                    ServerProcess server, Contenders contenders, HttpClient http, Path workDir, boolean quick) {
    // The contenders' names: keys of the results JSON and labels of the printed table.
    static final String LIGHT_RUN = "light-run";
    static final String FLOOR = "floor";
    static final String FLOOR_UPLOAD = "floor+upload";
    static final String DOCKER_RUN = "docker run";
    static final String DOCKER_CP = "docker cp";
    static final String WARM = "light-run warm";

    BenchContext {
        Objects.requireNonNull(out, "out was not specified");
        Objects.requireNonNull(results, "results was not specified");
        Objects.requireNonNull(failures, "failures was not specified");
        Objects.requireNonNull(servers, "servers was not specified");
        Objects.requireNonNull(server, "server was not specified");
        Objects.requireNonNull(contenders, "contenders was not specified");
        Objects.requireNonNull(http, "http was not specified");
        Objects.requireNonNull(workDir, "workDir was not specified");
    }

    /** Interleaved rounds of the throughput scenarios: fewer in a quick run. */
    int rounds() {
        return quick ? 2 : 4;
    }

    /**
     * Runs each contender {@code warm + measured} times, one run of each in turn, rotating who goes first, so a
     * slow moment of the machine hits every contender. Failed runs are counted and left out.
     */
    Map<String, List<Sample>> interleave(Map<String, Contender> all, int warm, int measured, String scenario) {
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        all.keySet().forEach(k -> samples.put(k, new ArrayList<>()));
        List<String> names = new ArrayList<>(all.keySet());
        for (int i = 0; i < warm + measured; i++) {
            List<String> order = new ArrayList<>(names);
            Collections.rotate(order, -(i % names.size()));
            for (String name : order) {
                Sample s = attempt(scenario, name, all.get(name));
                if (i == 0 && name.equals(LIGHT_RUN) && s != null && scenario.equals("cold")) {
                    results.put("firstLightRunRunMs", Stats.round(s.totalMs()));
                }
                if (s != null && i >= warm) {
                    samples.get(name).add(s);
                }
            }
            if ((i + 1) % 10 == 0 || i + 1 == warm + measured) {
                out.printf("  %s: %d/%d%n", scenario, i + 1, warm + measured);
            }
        }
        return samples;
    }

    /**
     * {@code runs} runs on {@code concurrency} threads pulling from one counter, each successful run's sample added
     * to {@code latencies}; returns the wall time (ms).
     */
    double batch(Contender contender, String name, int runs, int concurrency, List<Sample> latencies)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            threads.add(Thread.ofPlatform().name("bench-" + name + "-" + t).start(() -> {
                while (next.getAndIncrement() < runs) {
                    Sample s;
                    try {
                        s = attempt("throughput c=" + concurrency, name, contender);
                    } catch (IllegalStateException serverDied) {
                        break;
                    }
                    if (s != null) {
                        latencies.add(s);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        requireServerAlive();
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * One run, or null when it failed (counted in {@link #failures}).
     *
     * @throws IllegalStateException when the server has exited on its own: no later run can succeed
     */
    Sample attempt(String scenario, String name, Contender contender) {
        requireServerAlive();
        try {
            return contender.run();
        } catch (Exception e) {
            failures.run(scenario, name, e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
    }

    private void requireServerAlive() {
        if (server.unexpectedExit() != null) {
            throw new IllegalStateException(server.unexpectedExit());
        }
    }
}
