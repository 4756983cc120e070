package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.lightrun.bench.BenchContext.DOCKER_CP;
import static dev.lightrun.bench.BenchContext.FLOOR;
import static dev.lightrun.bench.BenchContext.LIGHT_RUN;
import static dev.lightrun.bench.Figures.mib;
import static dev.lightrun.bench.Figures.phaseMediansOf;
import static dev.lightrun.bench.Figures.phaseSamples;
import static dev.lightrun.bench.Figures.roundAll;

/**
 * Scenario 3, files: 100 files of 10 KiB in and one big artifact out, through light-run, the floor and docker cp,
 * interleaved, with the server's RSS sampled every 50 ms for its peak; into the "files" section.
 */
final class FilesScenario {
    private final BenchContext ctx;
    private final int artifactMib;
    private final int runs;
    private final boolean dockerCli;

    /**
     * @param artifactMib the artifact's size in MiB
     * @param runs        runs per contender
     * @param dockerCli   whether docker cp is a contender
     */
    FilesScenario(BenchContext ctx, int artifactMib, int runs, boolean dockerCli) {
        this.ctx = ctx;
        this.artifactMib = artifactMib;
        this.runs = runs;
        this.dockerCli = dockerCli;
    }

    void run() throws IOException, InterruptedException {
        Contenders contenders = ctx.contenders();
        ServerProcess server = ctx.server();
        Map<String, String> files = Contenders.hundredFiles();
        byte[] tar = Tar.of(Figures.bytes(files));
        Path filesDir = Files.createDirectories(ctx.workDir().resolve("files-in"));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(filesDir.resolve(f.getKey()), f.getValue());
        }
        int mib = artifactMib;
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, () -> contenders.lightRunFiles(files, mib));
        all.put(FLOOR, () -> contenders.floorFiles(tar, mib));
        if (dockerCli) {
            all.put(DOCKER_CP, () -> contenders.dockerCli.cp(filesDir, mib));
        }
        ctx.out().printf("3. files: 100 x 10 KiB in, %d MiB out, %d runs per contender, interleaved%n", mib, runs);
        long rssBefore = server.rssKib();
        AtomicLong peak = new AtomicLong(rssBefore);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(server.rssKib(), Math::max), 0, 50, TimeUnit.MILLISECONDS);
        Map<String, List<Sample>> samples;
        try {
            samples = ctx.interleave(all, 0, runs, "files");
        } finally {
            sampler.shutdown();
            sampler.awaitTermination(5, TimeUnit.SECONDS);
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("filesIn", 100);
        section.put("fileBytes", 10 * 1024);
        section.put("artifactMiB", mib);
        Map<String, Stats> byName = new LinkedHashMap<>();
        Map<String, Object> stats = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            Stats s = Stats.of(list.stream().map(Sample::totalMs).toList());
            byName.put(name, s);
            Map<String, Object> m = s.toMap();
            m.put("samplesMs", roundAll(list.stream().map(Sample::totalMs).toList()));
            m.put("phaseMediansMs", phaseMediansOf(list));
            m.put("phaseSamplesMs", phaseSamples(list));
            if (s.n() > 0) {
                m.put("artifactMiBPerSecondAtP50", Stats.round(mib / (s.p50() / 1000.0)));
            }
            stats.put(name, m);
        });
        section.put("contenders", stats);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (String other : List.of(FLOOR, DOCKER_CP)) {
            if (byName.containsKey(other)) {
                ratios.put(LIGHT_RUN + " / " + other + " (p50)",
                        Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p50(), byName.get(other).p50())));
            }
        }
        section.put("ratios", ratios);
        section.put("serverRssBeforeMiB", Stats.round(mib(rssBefore)));
        section.put("serverRssPeakMiB", Stats.round(mib(peak.get())));
        ctx.results().put("files", section);
    }
}
