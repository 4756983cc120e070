package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.lightrun.runner.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Engine calls on a run's started container: signal, pause and unpause it for {@link RunControl}, wait for its
 * exit and ask how it ended. Thread-safe (each call is one request).
 */
final class RunningContainer implements RunControl.Container {
    private static final Logger log = LoggerFactory.getLogger(RunningContainer.class);

    private final DockerClient docker;
    private final String runId;
    private final String containerId;

    RunningContainer(DockerClient docker, String runId, String containerId) {
        this.docker = docker;
        this.runId = runId;
        this.containerId = containerId;
    }

    /** A container that already exited or is gone is no error. */
    @Override
    public boolean signal(String signal) {
        try {
            docker.killContainerCmd(containerId).withSignal(signal).exec();
            return true;
        } catch (NotFoundException | ConflictException notRunning) {
            log.debug("run {} - kill {}: container not running", runId, signal);
        } catch (DockerException e) {
            log.warn("run {} - kill {} failed: {}", runId, signal, DockerErrors.daemonMessage(e));
        } catch (RuntimeException e) {
            log.warn("run {} - kill {} failed: {}", runId, signal, e.toString());
        }
        return false;
    }

    @Override
    public void pause() {
        try {
            docker.pauseContainerCmd(containerId).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "pausing run " + runId, ErrorCode.CONFLICT);
        }
    }

    @Override
    public void unpause() {
        try {
            docker.unpauseContainerCmd(containerId).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "resuming run " + runId, ErrorCode.CONFLICT);
        }
    }

    /** Blocks until the container exits, however long: the run's timeout ends it. */
    int awaitExit() {
        try {
            return docker.waitContainerCmd(containerId).exec(new WaitContainerResultCallback()).awaitStatusCode();
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "waiting for run " + runId, ErrorCode.DOCKER_ERROR);
        }
    }

    boolean wasOomKilled() {
        InspectContainerResponse.ContainerState state = inspectState();
        return state != null && Boolean.TRUE.equals(state.getOOMKilled());
    }

    /** The exited container's state; null (after a warning) when the engine cannot tell. */
    InspectContainerResponse.ContainerState inspectState() {
        try {
            return docker.inspectContainerCmd(containerId).exec().getState();
        } catch (RuntimeException e) {
            log.warn("run {} - could not inspect the exited container: {}", runId, e.getMessage());
            return null;
        }
    }
}
