package dev.lightrun.server.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Prometheus text format as a scraper reads it: {@code name{labels} value} per sample, comments skipped. Labels
 * are kept as written (Micrometer sorts them by name), so a test names a series exactly as it appears.
 */
public record PrometheusText(Map<String, Double> samples) {
    public static PrometheusText parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space).trim(), Double.parseDouble(line.substring(space + 1)));
        }
        return new PrometheusText(samples);
    }

    /** The value of one series; 0 when it does not exist (yet): a counter not yet incremented. */
    public double value(String series) {
        return samples.getOrDefault(series, 0.0);
    }

    /** The metric names present. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.keySet().forEach(s -> names.add(s.contains("{") ? s.substring(0, s.indexOf('{')) : s));
        return names;
    }
}
