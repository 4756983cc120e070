package dev.lightrun.runner.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.Network;
import dev.lightrun.runner.ErrorCode;
import dev.lightrun.runner.ReapReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Removes what we labelled and nobody tracks: containers, idle networks and unused build images. */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final DockerClient docker;
    private final String defaultNetwork;
    private final ImageResolver images;
    private final String instance;
    private final BindFiles bindFiles;

    Reaper(DockerClient docker, String defaultNetwork, ImageResolver images, String instance, BindFiles bindFiles) {
        this.bindFiles = bindFiles;
        this.docker = docker;
        this.defaultNetwork = defaultNetwork;
        this.images = images;
        this.instance = instance;
    }

    ReapReport reap(Duration olderThan, Duration unusedImagesFor, Set<String> liveRunIds) {
        Instant cutoff = Instant.now().minus(olderThan);
        try {
            List<Container> ours = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(Labels.MANAGED, "true", Labels.INSTANCE, instance)).exec();
            List<String> containers = reapContainers(ours, cutoff, liveRunIds);
            reapFileFolders(ours, containers, cutoff, liveRunIds);
            List<String> networks = reapNetworks(cutoff);
            List<String> images = reapImages(Instant.now().minus(unusedImagesFor));
            ReapReport report = new ReapReport(containers, networks, images);
            if (report.total() > 0) {
                log.info("reaper - removed {} container(s), {} network(s), {} image(s)", containers.size(),
                        networks.size(), images.size());
            }
            return report;
        } catch (RuntimeException e) {
            throw DockerErrors.translate(e, "reaping orphans", ErrorCode.DOCKER_ERROR);
        }
    }

    private static String runIdOf(Container container) {
        return container.getLabels() == null ? null : container.getLabels().get(Labels.RUN_ID);
    }

    private List<String> reapContainers(List<Container> ours, Instant cutoff, Set<String> liveRunIds) {
        List<String> removed = new ArrayList<>();
        for (Container container : ours) {
            String runId = runIdOf(container);
            boolean tracked = runId != null && liveRunIds.contains(runId);
            if (tracked || Instant.ofEpochSecond(container.getCreated()).isAfter(cutoff)) {
                continue;
            }
            try {
                docker.removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec();
                removed.add(container.getId());
            } catch (NotFoundException | ConflictException gone) {
                // removed meanwhile, or already being removed
            }
        }
        return removed;
    }

    /**
     * Files folders of runs that have neither a live execution nor a container any more (a crash between create and
     * clean-up). A run whose container is still there keeps its folder: a restart may re-attach it.
     */
    private void reapFileFolders(List<Container> ours, List<String> removedContainers, Instant cutoff,
                                 Set<String> liveRunIds) {
        if (!bindFiles.enabled()) {
            return;
        }
        Set<String> withContainer = new HashSet<>();
        for (Container container : ours) {
            if (runIdOf(container) != null && !removedContainers.contains(container.getId())) {
                withContainer.add(runIdOf(container));
            }
        }
        List<String> removed = bindFiles.reap(cutoff, runId -> liveRunIds.contains(runId) || withContainer.contains(runId));
        if (!removed.isEmpty()) {
            log.info("reaper - removed {} files folder(s) of runs that ended without cleaning up", removed.size());
        }
    }

    private List<String> reapNetworks(Instant cutoff) {
        List<String> removed = new ArrayList<>();
        for (Network listed : docker.listNetworksCmd().withFilter("label", List.of(Labels.managedFilter())).exec()) {
            String kind = listed.getLabels() == null ? null : listed.getLabels().get(Labels.KIND);
            // The default network is shared by every run; API-made networks belong to whoever made them.
            if (listed.getName().equals(defaultNetwork) || Labels.KIND_NETWORK.equals(kind)
                    || Labels.KIND_DEFAULT_NETWORK.equals(kind)) {
                continue;
            }
            try {
                // The list call does not report attached containers; inspect does.
                Network network = docker.inspectNetworkCmd().withNetworkId(listed.getId()).exec();
                boolean idle = network.getContainers() == null || network.getContainers().isEmpty();
                boolean old = network.getCreated() == null || network.getCreated().toInstant().isBefore(cutoff);
                if (idle && old) {
                    docker.removeNetworkCmd(network.getId()).exec();
                    removed.add(network.getName());
                }
            } catch (NotFoundException | ConflictException busy) {
                // removed meanwhile, or a container joined it
            }
        }
        return removed;
    }

    private List<String> reapImages(Instant cutoff) {
        List<String> removed = new ArrayList<>();
        List<Image> images = docker.listImagesCmd()
                .withLabelFilter(Map.of(Labels.MANAGED, "true", Labels.KIND, Labels.KIND_BUILD)).exec();
        for (Image image : images) {
            boolean recentlyCreated = image.getCreated() != null && Instant.ofEpochSecond(image.getCreated()).isAfter(cutoff);
            boolean recentlyUsed = image.getRepoTags() != null && Arrays.stream(image.getRepoTags())
                    .map(this.images::lastUsed).anyMatch(used -> used != null && used.isAfter(cutoff));
            if (recentlyCreated || recentlyUsed) {
                continue;
            }
            try {
                // No force: an image a container still uses answers 409 and stays.
                docker.removeImageCmd(image.getId()).withForce(false).exec();
                removed.add(image.getRepoTags() == null || image.getRepoTags().length == 0 ? image.getId()
                        : image.getRepoTags()[0]);
            } catch (NotFoundException | ConflictException inUse) {
                // in use by a container, or gone
            }
        }
        return removed;
    }
}
