package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.PoolProfile;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The Engine calls of warm pools: create a pooled container exactly as a cold run of its profile would be created
 * (same {@link ContainerSettings}, so the same caps, no-new-privileges, limits, network, runtime and log options),
 * with a fresh files folder bind-mounted at the workdir and the waiting script as its command; attach to it, start it
 * and open its wait. Also destroys them and removes those a previous process left.
 */
final class PoolContainers {
    private static final Logger log = LoggerFactory.getLogger(PoolContainers.class);
    /** Name prefix of pooled containers' files folders (and of their names and run-id labels). */
    static final String PREFIX = "pool-";
    /** How often a pooled container without a FIFO looks for its go file (gVisor: host FIFOs do not pass through). */
    static final String POLL_SECONDS = "0.02";

    /**
     * The pooled container's command until a run claims it: block on the go FIFO (or poll for the go file), delete it,
     * then source the run file the claim wrote, which deletes itself, exports the run's env and {@code exec}s its
     * entrypoint, so the workload becomes the container's main process (exit code, signals, OOM as in a cold run).
     * Holds no secret: the run's env, stdin and files reach it through the root-only files folder at claim.
     */
    static final String WAIT_SCRIPT = "g=./" + WarmStart.GO_FILE + "; "
            + "if [ -p \"$g\" ]; then read -r go < \"$g\" || exit 125; "
            + "else while [ ! -e \"$g\" ]; do sleep " + POLL_SECONDS + "; done; fi; "
            + "rm -f \"$g\"; [ -f ./" + WarmStart.RUN_FILE + " ] || exit 125; . ./" + WarmStart.RUN_FILE + "; exit 125";

    private final DockerClient docker;
    private final DockerRunner.Context context;

    PoolContainers(DockerClient docker, DockerRunner.Context context) {
        this.docker = docker;
        this.context = context;
    }

    /** The spec a pooled container is created from: the profile's settings, the waiting script, its own name as id. */
    static RunSpec template(PoolProfile profile, String name) {
        return RunSpec.builder(profile.image()).runId(name).entrypoint(WAIT_SCRIPT).network(profile.network())
                .runtime(profile.runtime()).limits(profile.limits()).hardening(profile.hardening())
                .workdir(profile.workdir()).build();
    }

    /** A new pooled container's name: {@code pool-<random>}. */
    static String newName() {
        return PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    /**
     * Creates, attaches to and starts one pooled container named {@code name}; on failure removes whatever part of
     * it exists. The caller tracks the name before calling, so a reaper sweeping meanwhile leaves it alone.
     */
    PooledContainer create(PoolProfile profile, boolean fifo, String name) {
        RunSpec template = template(profile, name);
        ContainerLauncher launcher = new ContainerLauncher(docker, template, context);
        String containerId = null;
        LogPump.Follower attached = null;
        try {
            Path folder = context.bindFiles().preparePool(name, profile.limits().user());
            if (fifo) {
                mkfifo(folder.resolve(WarmStart.GO_FILE), profile.limits().user());
            }
            containerId = launcher.create(profile.image(), folder, Labels.KIND_POOL);
            launcher.connectExtraNetworks(containerId);
            attached = LogPump.attach(docker, containerId, LogPump.unbound("pooled container " + name));
            attached.awaitAttached();
            launcher.start(containerId);
            PooledContainer.ExitWatch exit = docker.waitContainerCmd(containerId).exec(new PooledContainer.ExitWatch());
            return new PooledContainer(name, containerId, folder, profile, fifo, attached, exit);
        } catch (IOException | RuntimeException e) {
            destroy(name, containerId, attached);
            throw e instanceof RunnerException r ? r
                    : new RunnerException(ErrorCode.START_FAILED, "pool " + profile.image() + ": creating a container failed: " + e, e);
        }
    }

    private static void mkfifo(Path path, String user) throws IOException {
        Process process = new ProcessBuilder("mkfifo", "-m", "600", path.toString()).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("mkfifo " + path + " failed: "
                        + new String(process.getInputStream().readAllBytes()).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted making " + path, e);
        }
        BindFiles.ownPrivate(path, user);
    }

    /** Removes a pooled container (running or not, with its volumes) and its files folder. Never throws. */
    void destroy(PooledContainer container) {
        destroy(container.name(), container.containerId(), container.attached());
        try {
            container.exit().close();
        } catch (IOException | RuntimeException ignored) {
            // an ended wait
        }
    }

    private void destroy(String name, String containerId, LogPump.Follower attached) {
        if (containerId != null) {
            try {
                docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException | ConflictException gone) {
                // removed already, or being removed
            } catch (RuntimeException e) {
                log.warn("pool - could not remove container {} ({}): {}", name, containerId, e.getMessage());
            }
        }
        if (attached != null) {
            try {
                attached.close();
            } catch (IOException | RuntimeException ignored) {
                // an ended stream
            }
        }
        context.bindFiles().delete(name);
    }

    /** Names a claimed container after its run; a container already gone (a short run) is no failure. */
    void rename(PooledContainer container, String runId) {
        try {
            docker.renameContainerCmd(container.containerId()).withName(ContainerSettings.containerName(runId)).exec();
        } catch (NotFoundException | ConflictException gone) {
            // removed already, or being removed
        } catch (RuntimeException e) {
            log.debug("pool - renaming {} after run {} failed: {}", container.name(), runId, e.getMessage());
        }
    }

    /**
     * Removes the pooled containers a previous process of this instance left (they are never handed to a run: who
     * knows what was delivered to them), and the files folders of pooled containers none of {@code ours} owns.
     *
     * @return how many containers were removed
     */
    int removeStale(Set<String> ours) {
        int removed = 0;
        Set<String> keep = new HashSet<>(ours);
        for (Container container : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(
                Labels.MANAGED, "true", Labels.KIND, Labels.KIND_POOL, Labels.INSTANCE, context.instance())).exec()) {
            String name = container.getLabels() == null ? null : container.getLabels().get(Labels.RUN_ID);
            boolean claimed = container.getNames() != null && Arrays.stream(container.getNames())
                    .noneMatch(n -> n.startsWith("/" + ContainerSettings.containerName(PREFIX)));
            if (name != null && (ours.contains(name) || claimed)) {
                // A claimed one is a run's now (a restarted process may re-attach to it): the reaper's, not ours.
                keep.add(name);
                continue;
            }
            try {
                docker.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec();
                removed++;
            } catch (NotFoundException | ConflictException gone) {
                // removed meanwhile
            }
        }
        context.bindFiles().reap(Instant.now().plus(Duration.ofDays(1)), keep::contains, n -> n.startsWith(PREFIX));
        return removed;
    }
}
