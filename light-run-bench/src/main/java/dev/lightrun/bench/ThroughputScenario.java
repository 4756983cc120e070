package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.lightrun.bench.BenchContext.FLOOR;
import static dev.lightrun.bench.BenchContext.FLOOR_UPLOAD;
import static dev.lightrun.bench.BenchContext.LIGHT_RUN;
import static dev.lightrun.bench.Figures.phaseMediansOf;

/**
 * Scenario 2, throughput: trivial runs of light-run and the floor (with and without the upload) at each concurrency
 * level, in interleaved rounds so the machine's slow moments are shared; runs per second, latency and phase medians
 * per contender into the "throughput" section.
 */
final class ThroughputScenario {
    private final BenchContext ctx;
    private final int runs;
    private final List<Integer> concurrency;

    /**
     * @param runs        runs per contender at each level
     * @param concurrency the levels: threads running at once
     */
    ThroughputScenario(BenchContext ctx, int runs, List<Integer> concurrency) {
        this.ctx = ctx;
        this.runs = runs;
        this.concurrency = List.copyOf(concurrency);
    }

    void run() throws InterruptedException {
        Contenders contenders = ctx.contenders();
        byte[] trivialTar = Tar.of(Figures.bytes(Contenders.TRIVIAL_FILES));
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        all.put(FLOOR_UPLOAD, () -> contenders.floorTrivial(trivialTar));
        int rounds = ctx.rounds();
        List<Object> levels = new ArrayList<>();
        for (int c : concurrency) {
            ctx.out().printf("2. throughput at concurrency %d: %d runs per contender in %d interleaved rounds%n", c,
                    runs, rounds);
            Map<String, Double> wallMs = new LinkedHashMap<>();
            Map<String, List<Sample>> latencies = new LinkedHashMap<>();
            Map<String, Integer> done = new LinkedHashMap<>();
            List<String> names = new ArrayList<>(all.keySet());
            for (int r = 0; r < rounds; r++) {
                int share = runs / rounds + (r < runs % rounds ? 1 : 0);
                List<String> order = new ArrayList<>(names);
                Collections.rotate(order, -(r % names.size()));
                for (String name : order) {
                    List<Sample> lat = Collections.synchronizedList(new ArrayList<>());
                    double wall = ctx.batch(all.get(name), name, share, c, lat);
                    wallMs.merge(name, wall, Double::sum);
                    latencies.computeIfAbsent(name, k -> new ArrayList<>()).addAll(lat);
                    done.merge(name, lat.size(), Integer::sum);
                }
            }
            Map<String, Object> level = new LinkedHashMap<>();
            level.put("concurrency", c);
            Map<String, Double> perSecond = new LinkedHashMap<>();
            for (String name : names) {
                Map<String, Object> m = new LinkedHashMap<>();
                double rps = done.get(name) / (wallMs.get(name) / 1000.0);
                perSecond.put(name, rps);
                m.put("runs", done.get(name));
                m.put("wallMs", Stats.round(wallMs.get(name)));
                m.put("runsPerSecond", Stats.round3(rps));
                m.put("latencyMs", Stats.of(latencies.get(name).stream().map(Sample::totalMs).toList()).toMap());
                m.put("phaseMediansMs", phaseMediansOf(latencies.get(name)));
                level.put(name, m);
            }
            level.put("ratio light-run / floor", Stats.round3(Stats.ratio(perSecond.get(LIGHT_RUN), perSecond.get(FLOOR))));
            level.put("ratio light-run / floor+upload",
                    Stats.round3(Stats.ratio(perSecond.get(LIGHT_RUN), perSecond.get(FLOOR_UPLOAD))));
            levels.add(level);
            ctx.out().printf("  c=%d: light-run %.2f/s, floor %.2f/s, floor+upload %.2f/s%n", c, perSecond.get(LIGHT_RUN),
                    perSecond.get(FLOOR), perSecond.get(FLOOR_UPLOAD));
        }
        ctx.results().put("throughput", levels);
    }
}
