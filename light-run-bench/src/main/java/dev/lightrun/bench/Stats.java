package dev.lightrun.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Summary of a sample of durations (ms). Percentiles use the nearest-rank definition: the p-th percentile is the
 * smallest sample such that at least p% of the samples are at or below it (sorted value at rank ceil(p/100 * n)),
 * so every reported figure is a time that was actually measured. With 50 samples p99 is the maximum.
 */
record Stats(int n, double min, double p50, double p90, double p99, double max, double mean) {

    static Stats of(Collection<Double> samples) {
        if (samples.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> sorted = new ArrayList<>(samples);
        sorted.sort(null);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        return new Stats(sorted.size(), sorted.getFirst(), percentile(sorted, 50), percentile(sorted, 90),
                percentile(sorted, 99), sorted.getLast(), sum / sorted.size());
    }

    /** Nearest-rank percentile of an ascending list; p in (0, 100]. */
    static double percentile(List<Double> ascending, double p) {
        if (ascending.isEmpty()) {
            return Double.NaN;
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("p must be in (0, 100], was " + p);
        }
        int rank = (int) Math.ceil(p / 100.0 * ascending.size());
        return ascending.get(Math.max(rank, 1) - 1);
    }

    /** The median of a sample (nearest rank: the lower middle for an even count). */
    static double median(Collection<Double> samples) {
        return of(samples).p50();
    }

    /** a / b, NaN when either is missing or b is not positive. */
    static double ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b <= 0) {
            return Double.NaN;
        }
        return a / b;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("min", round(min));
        m.put("p50", round(p50));
        m.put("p90", round(p90));
        m.put("p99", round(p99));
        m.put("max", round(max));
        m.put("mean", round(mean));
        return m;
    }

    /** Rounded to 0.1 (ms) for output; NaN becomes null in JSON. */
    static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10) / 10.0;
    }

    /** Rounded to 0.001 for ratios. */
    static Double round3(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0;
    }
}
