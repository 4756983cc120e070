package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers, per image id and workdir, whether the image has anything at the workdir. A bind mount there would hide
 * it, where an archive upload merges with it, so only a workdir the image leaves absent or empty may be bind-mounted.
 * Image ids name immutable content, so an answer never goes stale; a retagged image gets a new id and a new look.
 */
final class ImageWorkdirs {
    private static final Logger log = LoggerFactory.getLogger(ImageWorkdirs.class);

    private final DockerClient docker;
    private final ConcurrentHashMap<String, Boolean> free = new ConcurrentHashMap<>();

    ImageWorkdirs(DockerClient docker) {
        this.docker = docker;
    }

    /** The id of a local image (an inspect, about 1 ms); null when it is not here yet or cannot be inspected. */
    String imageId(String image) {
        try {
            return docker.inspectImageCmd(image).exec().getId();
        } catch (NotFoundException missing) {
            return null;
        } catch (RuntimeException e) {
            log.debug("inspecting image {} failed: {}", image, e.toString());
            return null;
        }
    }

    /** TRUE: absent or empty in that image; FALSE: it has content; null: not known yet. */
    Boolean isFree(String imageId, String workdir) {
        return free.get(key(imageId, workdir));
    }

    /**
     * Looks at the workdir in a container just created from the image, before anything was put into it, and
     * remembers the answer. Only the first entries of the archive are read: one entry is the folder itself (empty).
     */
    void learn(String containerId, String imageId, String workdir) {
        boolean isFree;
        try (InputStream archive = docker.copyArchiveFromContainerCmd(containerId, workdir).exec();
             TarArchiveInputStream tar = new TarArchiveInputStream(archive)) {
            var first = tar.getNextEntry();
            isFree = first != null && first.isDirectory() && tar.getNextEntry() == null;
        } catch (NotFoundException absent) {
            isFree = true;
        } catch (Exception e) {
            log.debug("looking at {} in image {} failed: {}", workdir, imageId, e.toString());
            return;
        }
        free.put(key(imageId, workdir), isFree);
        log.debug("image {} workdir {}: {}", imageId, workdir, isFree ? "free, files may be bind-mounted" : "has content");
    }

    private static String key(String imageId, String workdir) {
        return imageId + '\n' + workdir;
    }
}
