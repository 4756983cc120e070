package dev.lightrun.server.networks;

import dev.lightrun.server.model.ApiException;
import dev.lightrun.runner.NetworkInfo;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.runner.Runner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Networks for runs that should reach each other. Only networks light-run created (labelled as ours) can be seen
 * or removed; Docker's own and other tools' networks are out of reach.
 */
public final class NetworkService {
    private static final Logger log = LoggerFactory.getLogger(NetworkService.class);
    private final Runner runner;

    public NetworkService(Runner runner) {
        this.runner = runner;
    }

    public NetworkInfo create(NetworkSpec spec) {
        return runner.createNetwork(spec);
    }

    public List<NetworkInfo> list() {
        return runner.listNetworks();
    }

    public NetworkInfo get(String name) {
        return list().stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> ApiException.notFound(
                        "network " + name + " not found (or not created by light-run)"));
    }

    /** 409 (CONFLICT) while a container uses it. */
    public void remove(String name) {
        get(name);
        runner.removeNetwork(name);
    }

    /**
     * Removes our networks that no container uses, whose name starts with {@code prefix} (all when null) and that are
     * older than {@code maxAge} (any age when null). Returns the names removed.
     */
    public List<String> cleanup(String prefix, Duration maxAge) {
        Instant cutoff = maxAge == null ? Instant.MAX : Instant.now().minus(maxAge);
        List<String> removed = new ArrayList<>();
        for (NetworkInfo network : list()) {
            boolean ours = "network".equals(network.labels().get("dev.lightrun.kind"));
            boolean matches = prefix == null || network.name().startsWith(prefix);
            boolean old = network.createdAt() == null || !network.createdAt().isAfter(cutoff);
            if (ours && matches && old && network.containers().isEmpty()) {
                try {
                    runner.removeNetwork(network.name());
                    removed.add(network.name());
                } catch (RuntimeException e) {
                    log.info("network {} - not removed by cleanup: {}", network.name(), e.getMessage());
                }
            }
        }
        return removed;
    }
}
