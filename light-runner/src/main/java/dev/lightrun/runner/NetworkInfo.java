package dev.lightrun.runner;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A network as the engine reports it. {@code containers} are the ids of the containers attached now. */
public record NetworkInfo(String id, String name, String driver, boolean iccEnabled, boolean internal,
                          Instant createdAt, Map<String, String> labels, String subnet, String gateway,
                          List<String> containers) {
    public NetworkInfo {
        labels = Map.copyOf(labels);
        containers = List.copyOf(containers);
    }
}
