package dev.lightrun.server.metrics;

import dev.lightrun.runner.EngineInfo;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Execution;
import dev.lightrun.runner.NetworkInfo;
import dev.lightrun.runner.NetworkSpec;
import dev.lightrun.runner.PoolStats;
import dev.lightrun.runner.ReapReport;
import dev.lightrun.runner.Reattach;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.Runner;
import dev.lightrun.runner.RunnerException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A {@link Runner} that counts what fails in Docker ({@code light_run_docker_errors_total{operation}}) and knows
 * whether the daemon answers ({@code light_run_docker_up}). A call that throws a daemon or Docker error (or anything
 * the SDK did not classify) counts; a refusal (not found, conflict, invalid request) is an answer, not an error.
 * {@code docker_up} is the last answer of the daemon, asked again at a scrape when older than {@link #UP_MAX_AGE}.
 * Thread-safe.
 */
final class DockerMetrics implements Runner {
    static final Duration UP_MAX_AGE = Duration.ofSeconds(10);

    private final Runner runner;
    private final MeterRegistry registry;
    private final ReentrantLock probing = new ReentrantLock();
    private volatile boolean up = true;
    private volatile long checkedNanos = System.nanoTime() - UP_MAX_AGE.toNanos() - 1;

    DockerMetrics(Runner runner, MeterRegistry registry) {
        this.runner = runner;
        this.registry = registry;
        for (String operation : List.of("start", "run", "reattach", "info", "network", "reap")) {
            errorCounter(registry, operation);
        }
        Gauge.builder("light_run.docker.up", this, DockerMetrics::upNow)
                .description("1 when the Docker daemon answers, 0 when it does not").register(registry);
    }

    static Counter errorCounter(MeterRegistry registry, String operation) {
        return Counter.builder("light_run.docker.errors").description("Docker calls that failed, by operation")
                .tag("operation", operation).register(registry);
    }

    /** At a scrape: the last answer, or a fresh one when it is stale (one probe at a time; others see the last). */
    private double upNow() {
        if (System.nanoTime() - checkedNanos > UP_MAX_AGE.toNanos() && probing.tryLock()) {
            try {
                info();
            } catch (RuntimeException e) {
                // counted and recorded by info()
            } finally {
                probing.unlock();
            }
        }
        return up ? 1 : 0;
    }

    private <T> T counted(String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (RunnerException e) {
            if (e.code() == ErrorCode.DAEMON_UNREACHABLE || e.code() == ErrorCode.DOCKER_ERROR) {
                errorCounter(registry, operation).increment();
            }
            throw e;
        } catch (RuntimeException e) {
            errorCounter(registry, operation).increment();
            throw e;
        }
    }

    private void markUp(boolean value) {
        up = value;
        checkedNanos = System.nanoTime();
    }

    @Override
    public Execution start(RunSpec spec) {
        return counted("start", () -> runner.start(spec));
    }

    @Override
    public Execution start(RunSpec spec, BooleanSupplier mayStart) {
        return counted("start", () -> runner.start(spec, mayStart));
    }

    @Override
    public Optional<Execution> reattach(Reattach reattach) {
        return counted("reattach", () -> runner.reattach(reattach));
    }

    @Override
    public EngineInfo info() {
        try {
            EngineInfo info = counted("info", runner::info);
            markUp(true);
            return info;
        } catch (RuntimeException e) {
            markUp(false);
            throw e;
        }
    }

    @Override
    public NetworkInfo createNetwork(NetworkSpec spec) {
        return counted("network", () -> runner.createNetwork(spec));
    }

    @Override
    public List<NetworkInfo> listNetworks() {
        return counted("network", runner::listNetworks);
    }

    @Override
    public void removeNetwork(String name) {
        counted("network", () -> {
            runner.removeNetwork(name);
            return null;
        });
    }

    @Override
    public ReapReport reapOrphans(Duration olderThan, Duration unusedImagesFor) {
        return counted("reap", () -> runner.reapOrphans(olderThan, unusedImagesFor));
    }

    @Override
    public List<PoolStats> pools() {
        return runner.pools();
    }

    @Override
    public void close() {
        runner.close();
    }
}
