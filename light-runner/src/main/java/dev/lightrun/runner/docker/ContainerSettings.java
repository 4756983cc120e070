package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.TmpfsOptions;
import com.github.dockerjava.api.model.VolumeOptions;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.Limits;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns a {@link RunSpec} into the Engine's create-container request: command, limits, hardening, network. */
final class ContainerSettings {
    /** Docker's own log copy only serves recovery; bound it so a log flood cannot fill the daemon's disk. */
    private static final Map<String, String> LOG_OPTIONS = Map.of("max-size", "20m", "max-file", "2");
    private static final long TMP_BYTES = 64L * 1024 * 1024;

    private ContainerSettings() {
    }

    static String containerName(String runId) {
        return "lightrun-" + runId;
    }

    /**
     * @param hostFiles the run's files folder to bind-mount at the workdir ({@link FilesMode#BIND}), or null when its
     *                  files are uploaded after create
     */
    static CreateContainerCmd createCommand(DockerClient docker, RunSpec spec, String image, String primaryNetwork,
                                            String instance, Path hostFiles) {
        return createCommand(docker, spec, image, primaryNetwork, instance, hostFiles, Labels.KIND_RUN);
    }

    /**
     * @param kind {@link Labels#KIND_RUN}, or {@link Labels#KIND_POOL} for a warm pool's container, whose spec is the
     *             pool's profile with the waiting script as entrypoint and the container's name as run id: the same
     *             limits, hardening, network, runtime and mounts as a cold run of that profile
     */
    static CreateContainerCmd createCommand(DockerClient docker, RunSpec spec, String image, String primaryNetwork,
                                            String instance, Path hostFiles, String kind) {
        Map<String, String> labels = Labels.of(spec.labels(), kind, spec.runId());
        labels.put(Labels.INSTANCE, instance);
        CreateContainerCmd cmd = docker.createContainerCmd(image)
                .withName(containerName(spec.runId()))
                .withLabels(labels)
                .withWorkingDir(spec.workdir())
                .withEnv(spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .withAttachStdin(false)
                .withAttachStdout(false)
                .withAttachStderr(false)
                .withTty(false)
                .withHostConfig(hostConfig(spec, primaryNetwork, hostFiles));
        List<String> command = command(spec);
        if (command != null) {
            cmd.withEntrypoint(command);
        }
        if (spec.limits().user() != null) {
            cmd.withUser(spec.limits().user());
        }
        return cmd;
    }

    /**
     * The container's entrypoint: {@code sh -c <entrypoint>}. With stdin, a wrapper opens the uploaded stdin file as
     * fd 0, deletes it, then runs the entrypoint, so the input reaches the workload with a proper end-of-file (an
     * attached stdin stream cannot be half-closed through the Engine API's hijacked connection).
     */
    static List<String> command(RunSpec spec) {
        if (spec.entrypoint() == null) {
            return null;
        }
        if (spec.stdin() == null) {
            return List.of("sh", "-c", spec.entrypoint());
        }
        String stdinPath = spec.workdir() + "/" + FilesTar.STDIN_FILE;
        return List.of("sh", "-c", "{ rm -f \"$2\" 2>/dev/null; exec sh -c \"$1\"; } < \"$2\"", "light-run",
                spec.entrypoint(), stdinPath);
    }

    private static HostConfig hostConfig(RunSpec spec, String primaryNetwork, Path hostFiles) {
        Limits limits = spec.limits();
        HostConfig host = HostConfig.newHostConfig()
                .withMemory(limits.memoryBytes())
                .withMemorySwap(limits.memoryBytes())
                .withNanoCPUs(limits.nanoCpus())
                .withPidsLimit(limits.pids())
                .withPrivileged(false)
                .withReadonlyRootfs(limits.readOnlyRootfs())
                .withNetworkMode(primaryNetwork)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, LOG_OPTIONS))
                .withCapDrop(capabilities(spec.hardening().capDrop(), "capDrop"))
                .withCapAdd(capabilities(spec.hardening().capAdd(), "capAdd"));
        if (spec.hardening().noNewPrivileges()) {
            host.withSecurityOpts(List.of("no-new-privileges"));
        }
        if (spec.runtime() != null) {
            host.withRuntime(spec.runtime());
        }
        List<Mount> mounts = new ArrayList<>();
        if (hostFiles != null) {
            // The run's own folder, already holding its files: it is the workdir (with a read-only root too).
            mounts.add(new Mount().withType(MountType.BIND).withSource(hostFiles.toString()).withTarget(spec.workdir()));
        }
        if (limits.readOnlyRootfs()) {
            // The root stays read-only; unless bind-mounted, the workdir is a labelled anonymous volume (removed with
            // the container) so the uploaded files and the workload's output have a place, and /tmp is a small tmpfs.
            if (hostFiles == null) {
                mounts.add(new Mount().withType(MountType.VOLUME).withTarget(spec.workdir())
                        .withVolumeOptions(new VolumeOptions().withLabels(Labels.of(Map.of(), Labels.KIND_RUN, spec.runId()))));
            }
            if (!spec.workdir().equals("/tmp")) {
                mounts.add(new Mount().withType(MountType.TMPFS).withTarget("/tmp")
                        .withTmpfsOptions(new TmpfsOptions().withSizeBytes(TMP_BYTES).withMode(01777)));
            }
        }
        if (!mounts.isEmpty()) {
            host.withMounts(mounts);
        }
        return host;
    }

    private static Capability[] capabilities(Iterable<String> names, String field) {
        List<Capability> caps = new ArrayList<>();
        for (String name : names) {
            try {
                caps.add(Capability.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new RunnerException(ErrorCode.INVALID_REQUEST, field + ": unknown capability " + name, e);
            }
        }
        return caps.toArray(Capability[]::new);
    }
}
