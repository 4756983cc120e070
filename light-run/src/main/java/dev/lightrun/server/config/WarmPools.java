package dev.lightrun.server.config;

import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.PoolProfile;

import java.util.List;

/** {@code --warm-pool} read and written: the pools of a config, from and to the text operators write. */
final class WarmPools {
    private WarmPools() {
    }

    /**
     * Parses {@code --warm-pool}: unset settings of a pool are what a run that asks for nothing gets under
     * {@code policy} (its default memory, CPUs, pids and runtime, light-run's isolated network, workdir /app).
     *
     * @throws ConfigException naming {@code --warm-pool} for a bad entry
     */
    static List<PoolProfile> parse(String text, RunPolicy policy) {
        PoolProfile base = new PoolProfile("base", 1, NetworkChoice.isolated(), policy.defaultRuntime(),
                new Limits((long) policy.defaultMemoryMiB() * Limits.MIB, policy.defaultCpus(), policy.defaultPids(),
                        null, false), Hardening.DEFAULTS, RunSpec.DEFAULT_WORKDIR);
        try {
            return PoolProfile.parseList(text, base);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(Setting.WARM_POOL, e.getMessage());
        }
    }

    /** A pool as {@code --warm-pool} writes it, every setting spelled out (so a copied config parses the same). */
    static String describe(PoolProfile pool) {
        String network = switch (pool.network()) {
            case NetworkChoice.None none -> "none";
            case NetworkChoice.Isolated isolated -> "bridge";
            case NetworkChoice.Named named -> named.primary();
        };
        Limits limits = pool.limits();
        return pool.image() + "=" + pool.size() + ";network=" + network
                + (pool.runtime() == null ? "" : ";runtime=" + pool.runtime())
                + ";memory=" + limits.memoryBytes() / Limits.MIB + ";cpus=" + limits.cpus() + ";pids=" + limits.pids()
                + (limits.user() == null ? "" : ";user=" + limits.user()) + ";readonly=" + limits.readOnlyRootfs()
                + ";workdir=" + pool.workdir();
    }
}
