package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.lightrun.bench.BenchContext.FLOOR;
import static dev.lightrun.bench.BenchContext.LIGHT_RUN;
import static dev.lightrun.bench.BenchContext.WARM;
import static dev.lightrun.bench.Figures.contenderStats;
import static dev.lightrun.bench.Figures.map;
import static dev.lightrun.bench.Figures.mib;
import static dev.lightrun.bench.Figures.phaseMediansOf;

/**
 * Scenario 6, the trivial run through a warm pool: a second server, started with a pool of the image (network none,
 * the trivial request's settings), next to the cold light-run run and the floor, interleaved; then throughput at
 * {@code concurrency} of the three, in interleaved rounds. Into the "warm" section.
 */
final class WarmScenario {
    private static final Duration POOL_FILL_DEADLINE = Duration.ofSeconds(120);

    private final BenchContext ctx;
    private final String image;
    private final int poolSize;
    private final int concurrency;
    private final int warmup;
    private final int runs;
    private final int throughputRuns;

    /**
     * @param poolSize       the warm server's pool size
     * @param concurrency    threads of the throughput part
     * @param warmup         unmeasured runs per contender first
     * @param runs           measured runs per contender
     * @param throughputRuns runs per contender of the throughput part
     */
    WarmScenario(BenchContext ctx, String image, int poolSize, int concurrency, int warmup, int runs,
                 int throughputRuns) {
        this.ctx = ctx;
        this.image = image;
        this.poolSize = poolSize;
        this.concurrency = concurrency;
        this.warmup = warmup;
        this.runs = runs;
        this.throughputRuns = throughputRuns;
    }

    void run() throws IOException, InterruptedException {
        Contenders contenders = ctx.contenders();
        HttpClient http = ctx.http();
        String pool = image + "=" + poolSize + ";network=none";
        ServerProcess warmServer = ctx.servers().launch(Map.of("LIGHT_RUN_WARM_POOL", pool));
        warmServer.awaitHealthy(http);
        String warmUrl = warmServer.baseUrl();
        long deadline = System.nanoTime() + POOL_FILL_DEADLINE.toNanos();
        while (idle(http, warmUrl) < poolSize) {
            if (System.nanoTime() > deadline) {
                // Say why: the pool's state from /health and the end of the server's log (its pool lines).
                String health = http.send(HttpRequest.newBuilder(URI.create(warmUrl + "/health"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
                List<String> logLines = Files.readAllLines(warmServer.log());
                throw new IllegalStateException("the warm server's pool did not fill within 120 s; /health: " + health
                        + "; end of its log:\n" + String.join("\n",
                        logLines.subList(Math.max(0, logLines.size() - 30), logLines.size())));
            }
            Thread.sleep(50);
        }
        Thread.sleep(1000);
        long rssFilledKib = warmServer.rssKib();
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(WARM, () -> contenders.lightRunWarm(warmUrl));
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        ctx.out().printf("6. warm pool (%s): %d warm-up + %d measured per contender, interleaved%n", pool, warmup,
                runs);
        Map<String, List<Sample>> samples = ctx.interleave(all, warmup, runs, "warm");
        Map<String, Object> warm = new LinkedHashMap<>();
        warm.put("pool", pool);
        Map<String, Stats> byName = new LinkedHashMap<>();
        Map<String, Object> stats = contenderStats(samples, byName, "phaseMediansMs", Figures::phaseMediansOf);
        warm.put("contenders", stats);
        warm.put("coldStartsOfWarmRuns", coldStarts(samples.get(WARM)));
        warm.put("ratios", map(
                WARM + " / " + FLOOR, map("p50", Stats.round3(Stats.ratio(byName.get(WARM).p50(), byName.get(FLOOR).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(WARM).p99(), byName.get(FLOOR).p99()))),
                WARM + " / " + LIGHT_RUN, map("p50", Stats.round3(Stats.ratio(byName.get(WARM).p50(), byName.get(LIGHT_RUN).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(WARM).p99(), byName.get(LIGHT_RUN).p99())))));

        int c = concurrency;
        int rounds = ctx.rounds();
        ctx.out().printf("6. warm throughput at concurrency %d: %d runs per contender in %d interleaved rounds%n", c,
                throughputRuns, rounds);
        Map<String, Double> wallMs = new LinkedHashMap<>();
        Map<String, Integer> done = new LinkedHashMap<>();
        Map<String, List<Sample>> latencies = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(all.keySet());
        for (int r = 0; r < rounds; r++) {
            int share = throughputRuns / rounds + (r < throughputRuns % rounds ? 1 : 0);
            List<String> order = new ArrayList<>(names);
            Collections.rotate(order, -(r % names.size()));
            for (String name : order) {
                List<Sample> lat = Collections.synchronizedList(new ArrayList<>());
                wallMs.merge(name, ctx.batch(all.get(name), name, share, c, lat), Double::sum);
                done.merge(name, lat.size(), Integer::sum);
                latencies.computeIfAbsent(name, k -> new ArrayList<>()).addAll(lat);
            }
        }
        Map<String, Object> level = new LinkedHashMap<>();
        level.put("concurrency", c);
        Map<String, Double> perSecond = new LinkedHashMap<>();
        for (String name : names) {
            double rps = done.get(name) / (wallMs.get(name) / 1000.0);
            perSecond.put(name, rps);
            level.put(name, map("runs", done.get(name), "runsPerSecond", Stats.round3(rps),
                    "latencyMs", Stats.of(latencies.get(name).stream().map(Sample::totalMs).toList()).toMap(),
                    "phaseMediansMs", phaseMediansOf(latencies.get(name))));
        }
        level.put("coldStartsOfWarmRuns", coldStarts(latencies.get(WARM)));
        level.put("ratio warm / floor", Stats.round3(Stats.ratio(perSecond.get(WARM), perSecond.get(FLOOR))));
        level.put("ratio warm / light-run", Stats.round3(Stats.ratio(perSecond.get(WARM), perSecond.get(LIGHT_RUN))));
        warm.put("throughput", level);
        Thread.sleep(2000);
        warm.put("warmServerRssMiB", map("poolFilled", Stats.round(mib(rssFilledKib)), "idleAfterRuns",
                Stats.round(mib(warmServer.rssKib()))));
        ctx.results().put("warm", warm);
        ctx.out().printf("  warm p50 %.1f ms, cold %.1f, floor %.1f; c=%d: warm %.2f/s, cold %.2f/s, floor %.2f/s%n",
                byName.get(WARM).p50(), byName.get(LIGHT_RUN).p50(), byName.get(FLOOR).p50(), c, perSecond.get(WARM),
                perSecond.get(LIGHT_RUN), perSecond.get(FLOOR));
        warmServer.close();
    }

    /** How many of the warm runs found the pool empty and started a container cold. */
    private static long coldStarts(List<Sample> warmRuns) {
        return warmRuns.stream().filter(x -> x.phases().getOrDefault("start:cold", 0.0) > 0).count();
    }

    /** The idle containers of the server's first pool, from /health. */
    private static int idle(HttpClient http, String baseUrl) throws IOException, InterruptedException {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return Contenders.JSON.readTree(health.body()).path("pools").path(0).path("idle").asInt();
    }
}
