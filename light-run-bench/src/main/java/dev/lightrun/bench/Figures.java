package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Sample;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Turns samples into the figures of the results JSON: ordered maps, rounded values, per-phase medians. */
final class Figures {

    private Figures() {
    }

    /** An ordered map of key, value pairs; values may be null (a NaN figure). */
    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static List<Double> roundAll(List<Double> values) {
        return values.stream().map(Stats::round).toList();
    }

    /** KiB to MiB; NaN when the process was gone (-1). */
    static double mib(long kib) {
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }

    /** Text files as UTF-8 bytes, in the same order, for {@link Tar#of}. */
    static Map<String, byte[]> bytes(Map<String, String> files) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        files.forEach((k, v) -> m.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return m;
    }

    /** Median per phase, the median of the total, and the median of (total - sum of the phases) per run. */
    static Map<String, Object> phaseMedians(List<Sample> samples, List<String> phases) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (samples == null || samples.isEmpty()) {
            return m;
        }
        for (String phase : phases) {
            m.put(phase, Stats.round(Stats.median(samples.stream()
                    .map(s -> s.phases().getOrDefault(phase, 0.0)).toList())));
        }
        m.put("overhead", Stats.round(Stats.median(samples.stream().map(s -> s.totalMs()
                - s.phases().entrySet().stream().filter(e -> phases.contains(e.getKey()))
                .mapToDouble(Map.Entry::getValue).sum()).toList())));
        m.put("total", Stats.round(Stats.median(samples.stream().map(Sample::totalMs).toList())));
        return m;
    }

    /** The median of every phase any sample has (0 where a sample lacks it). */
    static Map<String, Object> phaseMediansOf(List<Sample> list) {
        Map<String, Object> phases = new LinkedHashMap<>();
        list.stream().flatMap(x -> x.phases().keySet().stream()).distinct().forEach(p -> phases.put(p,
                Stats.round(Stats.median(list.stream().map(x -> x.phases().getOrDefault(p, 0.0)).toList()))));
        return phases;
    }

    /** Every sample of every phase, in run order (null where a run lacks the phase), for later analysis. */
    static Map<String, Object> phaseSamples(List<Sample> list) {
        Map<String, Object> phases = new LinkedHashMap<>();
        list.stream().flatMap(x -> x.phases().keySet().stream()).distinct().forEach(p -> phases.put(p,
                list.stream().map(x -> x.phases().containsKey(p) ? Stats.round(x.phases().get(p)) : null).toList()));
        return phases;
    }

    /**
     * Each contender's latency statistics (with its samples and {@code phasesKey}: {@code phases} of its samples) for
     * the JSON, and, filled in {@code byName}, the statistics themselves for the ratios.
     */
    static Map<String, Object> contenderStats(Map<String, List<Sample>> samples, Map<String, Stats> byName,
                                              String phasesKey, Function<List<Sample>, Object> phases) {
        Map<String, Object> stats = new LinkedHashMap<>();
        samples.forEach((name, list) -> {
            Stats s = Stats.of(list.stream().map(Sample::totalMs).toList());
            byName.put(name, s);
            Map<String, Object> m = s.toMap();
            m.put("samplesMs", roundAll(list.stream().map(Sample::totalMs).toList()));
            m.put(phasesKey, phases.apply(list));
            stats.put(name, m);
        });
        return stats;
    }
}
