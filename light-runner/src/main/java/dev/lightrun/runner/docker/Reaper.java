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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Removes what we labelled and nobody tracks: containers, idle networks and unused build images. */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final DockerClient docker;
    private final String defaultNetwork;

    Reaper(DockerClient docker, String defaultNetwork) {
        this.docker = docker;
        this.defaultNetwork = defaultNetwork;
    }

    ReapReport reap(Duration olderThan, Set<String> liveRunIds) {
        return reap(olderThan, liveRunIds, Map.of());
    }

    /** Like {@link #reap(Duration, Set)}, limited to objects that also carry every label of {@code scope}. */
    ReapReport reap(Duration olderThan, Set<String> liveRunIds, Map<String, String> scope) {
        Instant cutoff = Instant.now().minus(olderThan);
        List<String> labelFilter = new ArrayList<>(List.of(Labels.managedFilter()));
        scope.forEach((name, value) -> labelFilter.add(name + "=" + value));
        try {
            List<String> containers = reapContainers(cutoff, liveRunIds, labelFilter);
            List<String> networks = reapNetworks(cutoff, labelFilter);
            List<String> images = reapImages(cutoff, scope);
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

    private List<String> reapContainers(Instant cutoff, Set<String> liveRunIds, List<String> labelFilter) {
        List<String> removed = new ArrayList<>();
        List<Container> ours = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(labelFilter).exec();
        for (Container container : ours) {
            String runId = container.getLabels() == null ? null : container.getLabels().get(Labels.RUN_ID);
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

    private List<String> reapNetworks(Instant cutoff, List<String> labelFilter) {
        List<String> removed = new ArrayList<>();
        for (Network listed : docker.listNetworksCmd().withFilter("label", labelFilter).exec()) {
            if (listed.getName().equals(defaultNetwork)) {
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

    private List<String> reapImages(Instant cutoff, Map<String, String> scope) {
        List<String> removed = new ArrayList<>();
        Map<String, String> labels = new HashMap<>(scope);
        labels.put(Labels.MANAGED, "true");
        labels.put(Labels.KIND, Labels.KIND_BUILD);
        List<Image> images = docker.listImagesCmd().withLabelFilter(labels).exec();
        for (Image image : images) {
            if (image.getCreated() != null && Instant.ofEpochSecond(image.getCreated()).isAfter(cutoff)) {
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
