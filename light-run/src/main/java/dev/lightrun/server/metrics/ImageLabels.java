package dev.lightrun.server.metrics;

import dev.lightrun.server.config.RunPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code image} label of a run's meters, bounded so that clients choosing images cannot grow the series without
 * limit: the allow-list glob the image matched ({@code python:3.*}), or {@value #OTHER} (always, when the server has
 * no allow-list). Thread-safe.
 */
final class ImageLabels {
    static final String OTHER = "other";
    /** Distinct images remembered; past it a label is computed again for each run (a few regex matches). */
    private static final int MAX_CACHED = 1024;

    private final RunPolicy policy;
    private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();

    ImageLabels(RunPolicy policy) {
        this.policy = policy;
    }

    String of(String image) {
        if (image == null) {
            return OTHER;
        }
        String label = cache.get(image);
        if (label == null) {
            label = policy.matchingImageGlob(image).orElse(OTHER);
            if (cache.size() < MAX_CACHED) {
                cache.put(image, label);
            }
        }
        return label;
    }

    /** Every label there can be: the allow-list's globs and {@value #OTHER}. */
    List<String> all() {
        List<String> labels = new ArrayList<>(policy.allowedImages());
        labels.add(OTHER);
        return labels;
    }
}
