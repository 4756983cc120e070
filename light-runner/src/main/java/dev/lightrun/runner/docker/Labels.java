package dev.lightrun.runner.docker;

import java.util.HashMap;
import java.util.Map;

/** The labels that mark what light-runner created, so it can be found again (recovery) and reaped (leaks). */
public final class Labels {
    /** On everything we create: containers, networks, volumes, build images. */
    public static final String MANAGED = "dev.lightrun.managed";
    /** The run a container (or volume) belongs to. */
    public static final String RUN_ID = "dev.lightrun.run-id";
    /**
     * Which runner instance created a run's container: the reaper only touches its own, so several servers (or test
     * suites) can share one daemon.
     */
    public static final String INSTANCE = "dev.lightrun.instance";
    /** What the object is: run, pool, network, build, default-network. */
    public static final String KIND = "dev.lightrun.kind";

    static final String KIND_RUN = "run";
    static final String KIND_NETWORK = "network";
    static final String KIND_DEFAULT_NETWORK = "default-network";
    static final String KIND_BUILD = "build";
    /** A warm pool's container (its run-id label is the pooled container's own name, never a run's id). */
    static final String KIND_POOL = "pool";

    private Labels() {
    }

    /** Caller labels first, then ours, so a caller cannot forge or remove the ones the reaper relies on. */
    static Map<String, String> of(Map<String, String> callerLabels, String kind, String runId) {
        Map<String, String> labels = new HashMap<>(callerLabels);
        labels.put(MANAGED, "true");
        labels.put(KIND, kind);
        if (runId != null) {
            labels.put(RUN_ID, runId);
        }
        return labels;
    }

    static String managedFilter() {
        return MANAGED + "=true";
    }
}
