package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a finished run leaves behind and removes: its container (with its anonymous volumes) and the bind-mounted files
 * folder it owns. Never throws: what it cannot remove carries our labels and is left for {@link Reaper}.
 */
final class RunCleanup {
    private static final Logger log = LoggerFactory.getLogger(RunCleanup.class);

    private final DockerClient docker;
    private final BindFiles bindFiles;
    private final String runId;

    RunCleanup(DockerClient docker, BindFiles bindFiles, String runId) {
        this.docker = docker;
        this.bindFiles = bindFiles;
        this.runId = runId;
    }

    void removeContainer(String containerId) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException alreadyGone) {
            // Someone else removed it: the outcome is the same.
        } catch (RuntimeException e) {
            // Left for reapOrphans; the container carries our labels.
            log.warn("run {} - could not remove container {}: {}", runId, containerId, e.getMessage());
        }
    }

    /** Only for a folder this run owns: one that was there already belongs to another run with the same id. */
    void deleteFilesFolder() {
        bindFiles.delete(runId);
    }
}
