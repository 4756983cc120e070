package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Contender;
import dev.lightrun.bench.Contenders.Sample;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.lightrun.bench.BenchContext.DOCKER_RUN;
import static dev.lightrun.bench.BenchContext.FLOOR;
import static dev.lightrun.bench.BenchContext.FLOOR_UPLOAD;
import static dev.lightrun.bench.BenchContext.LIGHT_RUN;
import static dev.lightrun.bench.Figures.contenderStats;
import static dev.lightrun.bench.Figures.map;
import static dev.lightrun.bench.Figures.phaseMedians;

/**
 * Scenario 1, cold trivial runs: light-run, the floor with and without the upload, and docker run, interleaved,
 * into the "cold" section; and scenario 5, where light-run's time goes (the median of each phase and the overhead
 * outside every phase), from the same samples, into the "breakdown" section.
 */
final class ColdScenario {
    private static final List<String> LIGHT_RUN_PHASES =
            List.of("image", "plan", "files", "create", "upload", "attach", "start", "run", "extract", "remove");

    private final BenchContext ctx;
    private final int warmup;
    private final int runs;
    private final boolean dockerCli;

    /**
     * @param warmup    unmeasured runs per contender first
     * @param runs      measured runs per contender
     * @param dockerCli whether docker run is a contender
     */
    ColdScenario(BenchContext ctx, int warmup, int runs, boolean dockerCli) {
        this.ctx = ctx;
        this.warmup = warmup;
        this.runs = runs;
        this.dockerCli = dockerCli;
    }

    void run() {
        Contenders contenders = ctx.contenders();
        byte[] trivialTar = Tar.of(Figures.bytes(Contenders.TRIVIAL_FILES));
        Map<String, Contender> all = new LinkedHashMap<>();
        all.put(LIGHT_RUN, contenders::lightRunTrivial);
        all.put(FLOOR, () -> contenders.floorTrivial(null));
        all.put(FLOOR_UPLOAD, () -> contenders.floorTrivial(trivialTar));
        if (dockerCli) {
            all.put(DOCKER_RUN, contenders.dockerCli::run);
        }
        ctx.out().printf("1. cold trivial runs: %d warm-up + %d measured per contender, interleaved%n", warmup, runs);
        Map<String, List<Sample>> samples = ctx.interleave(all, warmup, runs, "cold");

        Map<String, Object> cold = new LinkedHashMap<>();
        Map<String, Stats> byName = new LinkedHashMap<>();
        Map<String, Object> stats = contenderStats(samples, byName, "phaseSamplesMs", Figures::phaseSamples);
        cold.put("contenders", stats);
        Map<String, Object> ratios = new LinkedHashMap<>();
        for (String other : List.of(FLOOR, FLOOR_UPLOAD, DOCKER_RUN)) {
            if (byName.containsKey(other) && byName.containsKey(LIGHT_RUN)) {
                ratios.put(LIGHT_RUN + " / " + other, map(
                        "p50", Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p50(), byName.get(other).p50())),
                        "p99", Stats.round3(Stats.ratio(byName.get(LIGHT_RUN).p99(), byName.get(other).p99()))));
            }
        }
        if (byName.containsKey(DOCKER_RUN)) {
            ratios.put(DOCKER_RUN + " / " + FLOOR, map(
                    "p50", Stats.round3(Stats.ratio(byName.get(DOCKER_RUN).p50(), byName.get(FLOOR).p50())),
                    "p99", Stats.round3(Stats.ratio(byName.get(DOCKER_RUN).p99(), byName.get(FLOOR).p99()))));
        }
        cold.put("ratios", ratios);
        ctx.results().put("cold", cold);

        // 5. Where light-run's time goes: median of each phase, and the overhead outside every phase.
        Map<String, Object> breakdown = new LinkedHashMap<>();
        breakdown.put(LIGHT_RUN, phaseMedians(samples.get(LIGHT_RUN), LIGHT_RUN_PHASES));
        breakdown.put(FLOOR_UPLOAD, phaseMedians(samples.get(FLOOR_UPLOAD),
                List.of("create", "upload", "start", "wait", "logs", "remove")));
        breakdown.put(FLOOR, phaseMedians(samples.get(FLOOR), List.of("create", "start", "wait", "logs", "remove")));
        breakdown.put("note", "light-run phases are whole milliseconds (truncated), so its overhead includes up to"
                + " ~1 ms per phase of rounding; light-run's overhead holds HTTP + JSON on both sides, validation, the"
                + " store writes, the log drain after exit and result building; the floor's holds JSON + bookkeeping");
        ctx.results().put("breakdown", breakdown);
    }
}
