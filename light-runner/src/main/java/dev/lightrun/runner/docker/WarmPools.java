package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Info;
import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.RunSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A runner's warm pools ({@link DockerRunnerBuilder#warmPool}): at start-up (in the background) removes the pooled
 * containers a previous process of the same instance left, checks each profile can be served, and fills the pools;
 * then hands a matching run an idle container ({@link #take}), refills in the background, and disposes of each used
 * container after its run's result is out. Close empties the pools.
 */
final class WarmPools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPools.class);
    private static final Duration REFILL_BACKOFF = Duration.ofSeconds(5);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

    private final DockerClient docker;
    private final DockerRunner.Context context;
    private final PoolContainers containers;
    private final List<WarmPool<PooledContainer>> pools = new ArrayList<>();
    /** Makes, destroys and disposes of pooled containers: never on a request's path. */
    private final ExecutorService background = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("warm-pool-", 0).factory());
    /** Names of the pooled containers this runner made and has not removed yet (idle, being made, or claimed). */
    private final Set<String> ours = ConcurrentHashMap.newKeySet();
    private volatile boolean fifoSignals = true;
    private volatile boolean closed;

    WarmPools(DockerClient docker, DockerRunner.Context context, List<PoolProfile> profiles) {
        this.docker = docker;
        this.context = context;
        this.containers = new PoolContainers(docker, context);
        for (PoolProfile profile : profiles) {
            pools.add(new WarmPool<>(profile, new Factory(profile), background, context.scheduler(), REFILL_BACKOFF));
        }
    }

    boolean isEmpty() {
        return pools.isEmpty();
    }

    /** Sweeps what a previous process left, then fills the pools; all in the background. */
    void start() {
        if (pools.isEmpty() || closed) {
            return;
        }
        try {
            background.execute(this::fill);
        } catch (RejectedExecutionException closing) {
            // closed between the check and here: nothing to fill
        }
    }

    private void fill() {
        try {
            if (!context.bindFiles().enabled()) {
                pools.forEach(pool -> pool.disable("files are not bind-mounted here ("
                        + context.bindFiles().description() + ")"));
                return;
            }
            int stale = containers.removeStale(Set.of());
            if (stale > 0) {
                log.info("pool - removed {} pooled container(s) a previous process left", stale);
            }
            fifoSignals = defaultRuntimeIsRunc();
            for (WarmPool<PooledContainer> pool : pools) {
                String why = whyNot(pool.profile());
                if (why != null) {
                    log.warn("pool {} - disabled: {}", pool.profile().image(), why);
                    pool.disable(why);
                } else {
                    log.info("pool {} - filling {} container(s)", pool.profile().image(), pool.profile().size());
                    pool.refill();
                }
            }
        } catch (RuntimeException e) {
            // A daemon slow to answer (a busy host right after start-up) is no reason to leave the pools empty
            // for the process's life: try again after the refill back-off, as a failed refill does.
            if (closed) {
                return;
            }
            log.warn("pool - start-up failed, retrying in {} (runs start cold meanwhile): {}", REFILL_BACKOFF,
                    e.toString());
            context.scheduler().schedule(this::start, REFILL_BACKOFF.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private boolean defaultRuntimeIsRunc() {
        try {
            Info info = docker.infoCmd().exec();
            Object runtime = info.getRawValues().get("DefaultRuntime");
            return runtime == null || isRunc(runtime.toString());
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static boolean isRunc(String runtime) {
        return runtime.equals("runc") || runtime.startsWith("io.containerd.runc");
    }

    /** Null when the pool can be served: its image is here (pulled if need be) and leaves its workdir free. */
    private String whyNot(PoolProfile profile) {
        String imageId = context.workdirs().imageId(profile.image());
        if (imageId == null) {
            context.images().pull(profile.image());
            imageId = context.workdirs().imageId(profile.image());
            if (imageId == null) {
                return "image " + profile.image() + " is not available";
            }
        }
        Boolean free = context.workdirs().isFree(imageId, profile.workdir());
        if (free == null) {
            // Look once, in a created (never started) container, as a cold run's first start does.
            String probe = docker.createContainerCmd(profile.image())
                    .withLabels(new HashMap<>(Map.of(Labels.MANAGED, "true", Labels.KIND,
                            Labels.KIND_POOL, Labels.INSTANCE, context.instance())))
                    .exec().getId();
            try {
                context.workdirs().learn(probe, imageId, profile.workdir());
            } finally {
                docker.removeContainerCmd(probe).withForce(true).withRemoveVolumes(true).exec();
            }
            free = context.workdirs().isFree(imageId, profile.workdir());
        }
        if (!Boolean.TRUE.equals(free)) {
            return "image " + profile.image() + " has content at " + profile.workdir()
                    + " that a files folder mounted there would hide";
        }
        return null;
    }

    /**
     * An idle pooled container for this run, or null (start cold) when no pool's profile matches it or the matching
     * pool is empty (a miss).
     */
    PooledContainer take(RunSpec spec) {
        for (WarmPool<PooledContainer> pool : pools) {
            if (pool.profile().mismatch(spec) == null) {
                return pool.take();
            }
        }
        return null;
    }

    /**
     * A run took this container and got the go: it is renamed after the run ({@code lightrun-<run id>}, as a cold
     * run's is), in the background, so a restarted process can re-attach to it and the sweep of stale pooled
     * containers leaves it alone.
     */
    void claimed(PooledContainer container, String runId) {
        try {
            background.execute(() -> containers.rename(container, runId));
        } catch (RejectedExecutionException closing) {
            // closing: the run is abandoned with the rest
        }
    }

    /** Removes a used container and its folder, off the run's path (its result is already out). */
    void dispose(PooledContainer container) {
        Runnable removal = () -> {
            containers.destroy(container);
            ours.remove(container.name());
        };
        try {
            background.execute(removal);
        } catch (RejectedExecutionException closing) {
            removal.run(); // the runner is closing: remove it now rather than leave it
        }
    }

    boolean isTracked(Object name) {
        return ours.contains(name);
    }

    /** Names of the pooled containers this runner tracks, for the reaper to leave alone. */
    Set<String> tracked() {
        return Set.copyOf(ours);
    }

    List<PoolStats> stats() {
        return pools.stream().map(WarmPool::stats).toList();
    }

    /** Empties the pools and waits (bounded) for their containers, and used ones being disposed of, to be removed. */
    @Override
    public void close() {
        closed = true;
        for (WarmPool<PooledContainer> pool : pools) {
            for (PooledContainer idle : pool.close()) {
                background.execute(() -> {
                    containers.destroy(idle);
                    ours.remove(idle.name());
                });
            }
        }
        background.shutdown();
        try {
            if (!background.awaitTermination(CLOSE_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                log.warn("pool - containers still being removed after {}; the reaper will find them", CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes one pool's containers and watches each for an exit while it waits. */
    private final class Factory implements WarmPool.Factory<PooledContainer> {
        private final PoolProfile profile;
        private WarmPool<PooledContainer> pool;

        Factory(PoolProfile profile) {
            this.profile = profile;
        }

        @Override
        public PooledContainer create() {
            boolean fifo = profile.runtime() == null ? fifoSignals : isRunc(profile.runtime());
            String name = PoolContainers.newName();
            // Tracked before it exists: a maintenance sweep listing containers meanwhile must not reap it.
            ours.add(name);
            PooledContainer made;
            try {
                made = containers.create(profile, fifo, name);
            } catch (RuntimeException e) {
                ours.remove(name);
                throw e;
            }
            made.exit().code.whenComplete((code, failure) -> {
                if (pool().exitedWhileIdle(made)) {
                    log.info("pool {} - idle container {} ended ({}); replaced", profile.image(), made.name(),
                            failure == null ? "exit code " + code : failure.toString());
                }
            });
            return made;
        }

        @Override
        public void destroy(PooledContainer member) {
            containers.destroy(member);
            ours.remove(member.name());
        }

        private WarmPool<PooledContainer> pool() {
            if (pool == null) {
                pool = pools.stream().filter(p -> p.profile() == profile).findFirst().orElseThrow();
            }
            return pool;
        }
    }
}
