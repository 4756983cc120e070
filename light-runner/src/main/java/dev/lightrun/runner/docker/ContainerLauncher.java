package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.NetworkChoice;
import dev.lightrun.runner.RunSpec;
import dev.lightrun.runner.RunnerException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The Engine calls that bring up a fresh run's container, one method per step: resolve its image, decide how its
 * files go in, create it (retrying once for a missing image or default network), upload its files, connect its extra
 * networks and start it. The order, and the log attach between create and start, is {@link DockerExecution}'s. Every
 * failure is a {@link RunnerException}, mostly {@link ErrorCode#START_FAILED}.
 */
final class ContainerLauncher {
    private final DockerClient docker;
    private final RunSpec spec;
    private final DockerRunner.Context context;

    /** {@code bind}: files by bind mount; {@code learnFrom}: the image id whose workdir to look at after create. */
    record FilesPlan(boolean bind, String learnFrom) {
        static final FilesPlan UPLOAD = new FilesPlan(false, null);
        static final FilesPlan BIND = new FilesPlan(true, null);
    }

    ContainerLauncher(DockerClient docker, RunSpec spec, DockerRunner.Context context) {
        this.docker = docker;
        this.spec = spec;
        this.context = context;
    }

    private String runId() {
        return spec.runId();
    }

    String resolveImage() {
        if (spec.buildSteps().isEmpty()) {
            return spec.image();
        }
        return context.images().imageWithSteps(spec.image(), spec.buildSteps(), spec.buildTimeout());
    }

    /**
     * How this run's files go in: bind-mounted when the runner may, the run suits it and its image is known to leave
     * the workdir free; otherwise uploaded, and, when the image has not been looked at yet, looked at once (by image
     * id) so that its next runs can be bind-mounted.
     */
    FilesPlan planFiles(String image) {
        if (!context.bindFiles().suits(spec)) {
            return FilesPlan.UPLOAD;
        }
        String imageId = context.workdirs().imageId(image);
        if (imageId == null) {
            return FilesPlan.UPLOAD; // not pulled yet: its first run uploads
        }
        Boolean free = context.workdirs().isFree(imageId, spec.workdir());
        if (free == null) {
            return new FilesPlan(false, imageId);
        }
        return free ? FilesPlan.BIND : FilesPlan.UPLOAD;
    }

    /** Creates the container and returns its id; {@code hostFiles} is the folder to mount at the workdir, or null. */
    String create(String image, Path hostFiles) {
        return create(image, hostFiles, Labels.KIND_RUN);
    }

    /** Like {@link #create(String, Path)}, labelled as {@code kind} (a warm pool creates its containers so). */
    String create(String image, Path hostFiles, String kind) {
        String network = primaryNetwork();
        try {
            return ContainerSettings.createCommand(docker, spec, image, network, context.instance(), hostFiles, kind).exec().getId();
        } catch (NotFoundException e) {
            String message = DockerErrors.daemonMessage(e);
            if (message.contains("network")) {
                if (spec.network() == NetworkChoice.isolated()) {
                    // Our default network was removed behind our back: create it again, once.
                    context.networks().defaultMissing();
                    return ContainerSettings.createCommand(docker, spec, image, primaryNetwork(), context.instance(), hostFiles,
                            kind).exec().getId();
                }
                throw new RunnerException(ErrorCode.START_FAILED, "network " + network + " does not exist; create it first", e);
            }
            context.images().pull(image);
            return ContainerSettings.createCommand(docker, spec, image, network, context.instance(), hostFiles, kind).exec().getId();
        } catch (ConflictException e) {
            throw new RunnerException(ErrorCode.START_FAILED, "a container for run " + runId() + " already exists", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "creating the container of run " + runId(), ErrorCode.START_FAILED);
        }
    }

    private String primaryNetwork() {
        return switch (spec.network()) {
            case NetworkChoice.None none -> "none";
            case NetworkChoice.Isolated isolated -> context.networks().ensureDefault();
            case NetworkChoice.Named named -> named.primary();
        };
    }

    void upload(String containerId) {
        try (InputStream tar = FilesTar.open(spec)) {
            docker.copyArchiveToContainerCmd(containerId).withRemotePath(FilesTar.uploadTarget(spec)).withTarInputStream(tar).exec();
        } catch (IOException e) {
            throw new RunnerException(ErrorCode.START_FAILED, "streaming the files of run " + runId() + " failed", e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "uploading the files of run " + runId(), ErrorCode.START_FAILED);
        }
    }

    void connectExtraNetworks(String containerId) {
        if (spec.network() instanceof NetworkChoice.Named named) {
            for (String network : named.names().subList(1, named.names().size())) {
                try {
                    docker.connectToNetworkCmd().withContainerId(containerId).withNetworkId(network).exec();
                } catch (NotFoundException e) {
                    throw new RunnerException(ErrorCode.START_FAILED, "network " + network + " does not exist; create it first", e);
                } catch (RuntimeException e) {
                    throw DockerErrors.translate(e, "connecting run " + runId() + " to network " + network, ErrorCode.START_FAILED);
                }
            }
        }
    }

    void start(String containerId) {
        try {
            docker.startContainerCmd(containerId).exec();
        } catch (NotFoundException e) {
            // The container was just created, so what is missing is something it needs, e.g. its network.
            throw new RunnerException(ErrorCode.START_FAILED, "starting run " + runId() + " failed: "
                    + DockerErrors.daemonMessage(e), e);
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "starting run " + runId(), ErrorCode.START_FAILED);
        }
    }
}
