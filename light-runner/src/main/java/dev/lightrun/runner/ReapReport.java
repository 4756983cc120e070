package dev.lightrun.runner;

import java.util.List;

/** What {@link Runner#reapOrphans} removed: container ids, network names, image tags. */
public record ReapReport(List<String> containers, List<String> networks, List<String> images) {
    public ReapReport {
        containers = List.copyOf(containers);
        networks = List.copyOf(networks);
        images = List.copyOf(images);
    }

    public int total() {
        return containers.size() + networks.size() + images.size();
    }
}
